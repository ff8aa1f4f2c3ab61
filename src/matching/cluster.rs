//! Clustering: union-find over accepted links, with the rules that keep groups honest.
//!
//! * Links are applied strongest first (ties by member ids), so the result does not depend on thread count or
//!   input order.
//! * A union may be vetoed by the caller (two different valid ИНН in one legal entity; an administrator's
//!   "split" override).
//! * The chaining guard: a link that would join two groups that both have more than `guard_size` members is
//!   applied only when it is confirmed — it carries two independent signals or more, or another link between the
//!   same two groups exists. One weak link cannot fuse two large groups.
//! * Must-link pairs (an administrator's "link" override) are applied first and never vetoed.

use rustc_hash::FxHashMap;

/// Union-find with union by size and path halving.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root of `x`.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// The root of `x` without path compression.
    pub fn find_const(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the groups of `a` and `b`; returns the new root, or `None` when already together.
    pub fn union(&mut self, a: u32, b: u32) -> Option<u32> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return None;
        }
        // Larger group is the root; on equal sizes the smaller index, so the result is deterministic.
        let (big, small) = match self.size[ra as usize].cmp(&self.size[rb as usize]) {
            std::cmp::Ordering::Greater => (ra, rb),
            std::cmp::Ordering::Less => (rb, ra),
            std::cmp::Ordering::Equal => (ra.min(rb), ra.max(rb)),
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        Some(big)
    }

    /// Members in the group of root `r` (only meaningful for a root).
    pub fn size_of_root(&self, r: u32) -> u32 {
        self.size[r as usize]
    }

    /// Group labels `0..k` for every element, numbered in order of each group's smallest element.
    pub fn labels(&mut self) -> (Vec<u32>, usize) {
        let n = self.parent.len();
        let mut label_of_root: Vec<u32> = vec![u32::MAX; n];
        let mut labels = vec![0u32; n];
        let mut next = 0u32;
        for i in 0..n as u32 {
            let r = self.find(i);
            if label_of_root[r as usize] == u32::MAX {
                label_of_root[r as usize] = next;
                next += 1;
            }
            labels[i as usize] = label_of_root[r as usize];
        }
        (labels, next as usize)
    }
}

/// A candidate link between two members.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// One member.
    pub a: u32,
    /// The other member.
    pub b: u32,
    /// Its score.
    pub score: f32,
    /// Number of independent signals behind it.
    pub signals: u8,
}

/// Why a link was or was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Joined two groups.
    Joined,
    /// The two were already in one group.
    AlreadyTogether,
    /// The caller vetoed it (e.g. two different ИНН).
    Vetoed,
    /// Held back by the chaining guard and never confirmed.
    Guarded,
}

/// What clustering decided.
#[derive(Debug)]
pub struct Clustering {
    /// The groups.
    pub uf: UnionFind,
    /// The outcome of every link, in the input order of `links`.
    pub outcomes: Vec<Outcome>,
    /// Links that joined groups only after a second link confirmed them.
    pub confirmed_by_second_pair: usize,
    /// Indices (into `links`) of the guarded links applied once confirmed: joined over the chaining guard.
    pub confirmed_links: Vec<usize>,
}

/// A veto: may the groups rooted at `ra` and `rb` be joined? Called with current roots.
pub trait Veto {
    /// True to forbid the union.
    fn forbids(&mut self, ra: u32, rb: u32) -> bool;
    /// Told about every union (`into` is the new root, `from` the absorbed one) so it can merge its own state.
    fn joined(&mut self, into: u32, from: u32);
}

/// No veto.
pub struct NoVeto;

impl Veto for NoVeto {
    fn forbids(&mut self, _: u32, _: u32) -> bool {
        false
    }
    fn joined(&mut self, _: u32, _: u32) {}
}

/// Clusters `n` members.
///
/// `weight` gives each member's size for the chaining guard (cards, legal entities ...). `must` pairs are joined
/// first. Links are applied in order of score (descending), then `(a, b)`.
pub fn cluster(
    n: usize,
    weight: &[u32],
    must: &[(u32, u32)],
    links: &[Link],
    guard_size: u32,
    veto: &mut impl Veto,
) -> Clustering {
    let mut uf = UnionFind::new(n);
    // Group weights live at the roots.
    let mut gw: Vec<u32> = weight.to_vec();
    let join = |uf: &mut UnionFind, gw: &mut Vec<u32>, veto: &mut dyn FnMut(u32, u32), a: u32, b: u32| -> bool {
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            return false;
        }
        let root = uf.union(ra, rb).unwrap_or(ra);
        let other = if root == ra { rb } else { ra };
        gw[root as usize] = gw[ra as usize] + gw[rb as usize];
        veto(root, other);
        true
    };
    for &(a, b) in must {
        join(&mut uf, &mut gw, &mut |r, o| veto.joined(r, o), a, b);
    }
    let mut order: Vec<usize> = (0..links.len()).collect();
    order.sort_by(|&i, &j| {
        let (x, y) = (&links[i], &links[j]);
        y.score.total_cmp(&x.score).then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    let mut outcomes = vec![Outcome::AlreadyTogether; links.len()];
    let mut deferred: Vec<usize> = Vec::new();
    for &i in &order {
        let l = &links[i];
        let (ra, rb) = (uf.find(l.a), uf.find(l.b));
        if ra == rb {
            outcomes[i] = Outcome::AlreadyTogether;
            continue;
        }
        if veto.forbids(ra, rb) {
            outcomes[i] = Outcome::Vetoed;
            continue;
        }
        let both_large = gw[ra as usize] > guard_size && gw[rb as usize] > guard_size;
        if both_large && l.signals < 2 {
            outcomes[i] = Outcome::Guarded;
            deferred.push(i);
            continue;
        }
        join(&mut uf, &mut gw, &mut |r, o| veto.joined(r, o), l.a, l.b);
        outcomes[i] = Outcome::Joined;
    }
    // Deferred links: join two groups when at least two links connect them.
    let mut confirmed = 0usize;
    let mut confirmed_links: Vec<usize> = Vec::new();
    loop {
        let mut by_pair: FxHashMap<(u32, u32), Vec<usize>> = FxHashMap::default();
        for &i in &deferred {
            if outcomes[i] != Outcome::Guarded {
                continue;
            }
            let (ra, rb) = (uf.find(links[i].a), uf.find(links[i].b));
            if ra == rb {
                outcomes[i] = Outcome::AlreadyTogether;
                continue;
            }
            by_pair.entry((ra.min(rb), ra.max(rb))).or_default().push(i);
        }
        let mut pairs: Vec<((u32, u32), Vec<usize>)> = by_pair.into_iter().filter(|(_, v)| v.len() >= 2).collect();
        if pairs.is_empty() {
            break;
        }
        pairs.sort_by_key(|(k, _)| *k);
        let mut changed = false;
        for ((_, _), idx) in pairs {
            let l = &links[idx[0]];
            let (ra, rb) = (uf.find(l.a), uf.find(l.b));
            if ra == rb || veto.forbids(ra, rb) {
                continue;
            }
            join(&mut uf, &mut gw, &mut |r, o| veto.joined(r, o), l.a, l.b);
            for &i in &idx {
                outcomes[i] = Outcome::Joined;
            }
            confirmed_links.extend(&idx);
            confirmed += 1;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    confirmed_links.sort_unstable();
    Clustering { uf, outcomes, confirmed_by_second_pair: confirmed, confirmed_links }
}

impl Clustering {
    /// Joins the groups of `a` and `b` after clustering, unless already together or vetoed (a link of a later
    /// rule that needs the groups: the chaining guard does not apply, the veto does). True when joined.
    pub fn join_after(&mut self, veto: &mut impl Veto, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb || veto.forbids(ra, rb) {
            return false;
        }
        let root = self.uf.union(ra, rb).unwrap_or(ra);
        veto.joined(root, if root == ra { rb } else { ra });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(a: u32, b: u32, score: f32, signals: u8) -> Link {
        Link { a, b, score, signals }
    }

    #[test]
    fn weak_link_does_not_fuse_two_large_groups() {
        // Groups {0,1,2} and {3,4,5}, each held by strong two-signal links, then one weak link 2-3.
        let mut links = vec![link(0, 1, 3.0, 2), link(1, 2, 3.0, 2), link(3, 4, 3.0, 2), link(4, 5, 3.0, 2)];
        links.push(link(2, 3, 1.0, 1));
        let mut c = cluster(6, &[1; 6], &[], &links, 2, &mut NoVeto);
        assert_ne!(c.uf.find(0), c.uf.find(5));
        assert_eq!(c.outcomes[4], Outcome::Guarded);

        // A second member pair confirms it.
        links.push(link(1, 4, 1.0, 1));
        let mut c = cluster(6, &[1; 6], &[], &links, 2, &mut NoVeto);
        assert_eq!(c.uf.find(0), c.uf.find(5));
        assert_eq!(c.confirmed_by_second_pair, 1);

        // A weak link into a small group is fine.
        let mut c =
            cluster(4, &[1; 4], &[], &[link(0, 1, 3.0, 2), link(1, 2, 3.0, 2), link(2, 3, 1.0, 1)], 2, &mut NoVeto);
        assert_eq!(c.uf.find(0), c.uf.find(3));
    }

    struct NoTwoInn {
        inn: Vec<Option<u32>>,
    }

    impl Veto for NoTwoInn {
        fn forbids(&mut self, ra: u32, rb: u32) -> bool {
            matches!((self.inn[ra as usize], self.inn[rb as usize]), (Some(x), Some(y)) if x != y)
        }
        fn joined(&mut self, into: u32, from: u32) {
            if self.inn[into as usize].is_none() {
                self.inn[into as usize] = self.inn[from as usize];
            }
        }
    }

    #[test]
    fn veto_stops_chains_through_a_third_member() {
        // 0 and 2 have different ИНН; 1 has none and links to both: it joins the stronger, never both.
        let mut v = NoTwoInn { inn: vec![Some(1), None, Some(2)] };
        let mut c = cluster(3, &[1; 3], &[], &[link(0, 1, 2.0, 2), link(1, 2, 1.5, 2)], 2, &mut v);
        assert_eq!(c.uf.find(0), c.uf.find(1));
        assert_ne!(c.uf.find(1), c.uf.find(2));
        assert_eq!(c.outcomes[1], Outcome::Vetoed);
    }

    #[test]
    fn order_of_links_does_not_matter() {
        let links = vec![link(0, 1, 1.0, 1), link(2, 3, 2.0, 2), link(1, 2, 1.0, 1), link(4, 5, 1.5, 1)];
        let mut rev = links.clone();
        rev.reverse();
        let mut a = cluster(6, &[1; 6], &[], &links, 1, &mut NoVeto);
        let mut b = cluster(6, &[1; 6], &[], &rev, 1, &mut NoVeto);
        assert_eq!(a.uf.labels(), b.uf.labels());
    }

    #[test]
    fn must_links_apply_first() {
        let mut c = cluster(3, &[1; 3], &[(0, 2)], &[], 2, &mut NoVeto);
        assert_eq!(c.uf.find(0), c.uf.find(2));
    }
}

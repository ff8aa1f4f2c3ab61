//! Matching: normalised cards → legal entities → firms, in data-flow order.
//!
//! 1. [`keys`]: the key vocabulary of a card (ИНН, phones, e-mails, domains, people, brands, addresses, name
//!    words); [`block`]: proto-entities (cards of one valid ИНН or ОГРН), the node model, the rarity counts and the
//!    candidate pairs; [`learn`]: what the base's own cards with ИНН teach about which rules hold in it;
//! 2. [`score`]: what two nodes share and what it is worth (the one scorer, also used by the look-up);
//! 3. [`cluster`]: union-find over the accepted links, strongest first, with vetoes and the chaining guard;
//! 4. [`firm`]: both levels run in turn, following the administrator's [`constraints`], writing the
//!    [`evidence`] of every link; [`explain`] reads a pair with the same scorer and rules.

pub mod block;
pub mod cluster;
pub mod constraints;
pub mod edit;
pub mod evidence;
pub mod explain;
pub mod firm;
pub mod keys;
pub mod learn;
pub mod mail_person;
pub mod score;

// firmdedup report page. Every value from the CRM is set as text (text nodes, textContent, attribute values via
// setAttribute on our own names); nothing from the data is parsed as HTML. Long lists are rendered a page at a
// time. Decisions are collected in `decisions` and downloaded as a CSV that `firmdedup override import` reads.
"use strict";
(function () {
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var S = D.summary, C = D.cards, E = D.entities, F = D.firms, L = D.links, R = D.review;
  var PAGE = 100;
  // Compact rows: managers by number, a firm's name by its legal entity's number.
  var MN = D.manager_names;
  C.forEach(function (c) { c[5] = c[5] >= 0 ? MN[c[5]] : ""; });
  F.forEach(function (f) { if (typeof f[1] === "number") f[1] = E[f[1]][1]; f[4] = f[4] >= 0 ? MN[f[4]] : ""; });

  function el(tag, props) {
    var n = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === "text") n.textContent = props[k];
      else if (k === "cls") n.className = props[k];
      else if (k === "on") for (var ev in props.on) n.addEventListener(ev, props.on[ev]);
      else n.setAttribute(k, props[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      n.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return n;
  }
  function sec(id) { return document.getElementById(id); }
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0"); }

  // Evidence comes in Russian from the matcher's typed evidence; the most common, a plain shared ИНН, as 0.
  function ru(ev, a) { return ev === 0 ? "тот же ИНН " + C[a][2] : String(ev); }
  var KIND = {
    below_threshold: "не хватило до порога", above_threshold: "чуть выше порога",
    over_chain_guard: "связано в обход защиты от цепочек", inn_outlier: "ИНН общий, название другое"
  };
  var LEVEL = { entity: "юрлицо", firm: "фирма" };

  // ---- Decisions.
  var ACTIONS = [
    ["одна фирма", "link", "firm"], ["разные фирмы", "split", "firm"],
    ["одно юрлицо", "link", "entity"], ["разные юрлица", "split", "entity"]
  ];
  var decisions = {}; // key -> {action, level, a, b, reason}
  var order = [];
  function setDecision(key, d) {
    if (!decisions[key]) order.push(key);
    decisions[key] = d;
    if (!d) order = order.filter(function (k) { return k !== key; });
    sec("decisions-count").textContent = String(order.length);
  }
  function csvCell(v) {
    v = String(v == null ? "" : v);
    return /[",\r\n;]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function collectCsv() {
    var by = sec("decisions-by").value.trim();
    var lines = ["action,a,b,level,reason,by"];
    order.forEach(function (k) {
      var d = decisions[k];
      var reason = d.reason.trim() || ("решение в отчёте: " + d.label);
      lines.push([d.action, d.a, d.b, d.level, reason, by].map(csvCell).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }
  function download() {
    var blob = new Blob(["\ufeff" + collectCsv()], { type: "text/csv;charset=utf-8" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "decisions.csv" });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  sec("decisions-download").addEventListener("click", download);

  // Controls for one pair of cards: four buttons and a reason. `getB` gives side B (may read an input).
  function decisionControls(key, a, getB) {
    var box = el("span", { cls: "dec" });
    var reason = el("input", { placeholder: "причина (необязательно)", "data-role": "reason" });
    var buttons = [];
    ACTIONS.forEach(function (act) {
      var b = el("button", { type: "button", "data-action": act[1] + ":" + act[2], text: act[0] });
      b.addEventListener("click", function () {
        var on = b.classList.contains("on");
        buttons.forEach(function (x) { x.classList.remove("on"); });
        var side = getB();
        if (on || !side) { setDecision(key, null); if (!side) alert("Укажите вторую сторону: id карточки или фирмы"); return; }
        b.classList.add("on");
        setDecision(key, { action: act[1], level: act[2], a: a, b: side, reason: reason.value, label: act[0] });
      });
      buttons.push(b);
      box.appendChild(b);
    });
    reason.addEventListener("input", function () { if (decisions[key]) decisions[key].reason = reason.value; });
    box.appendChild(reason);
    if (decisions[key]) {
      reason.value = decisions[key].reason;
      buttons.forEach(function (x) { if (x.getAttribute("data-action") === decisions[key].action + ":" + decisions[key].level) x.classList.add("on"); });
    }
    return box;
  }

  // ---- Summary.
  (function () {
    var s = sec("summary");
    var cards = el("div", { cls: "cards" });
    function card(id, k, v) { cards.appendChild(el("div", { cls: "card" }, el("div", { cls: "v", id: id, text: fmt(v) }), el("div", { cls: "k", text: k }))); }
    card("sum-cards-read", "карточек прочитано", S.cards.read);
    card("sum-cards-accepted", "принято", S.cards.accepted);
    card("sum-cards-rejected", "отклонено (rejects.csv)", S.cards.rejected);
    card("sum-legal-entities", "юрлиц", S.legal_entities);
    card("sum-firms", "фирм", S.firms);
    card("sum-multi-card-firms", "фирм из нескольких карточек", S.multi_card_firms);
    card("sum-generic", "общих значений не учтено", S.generic_values.count);
    card("sum-review", "пар на проверку (review.csv)", D.review_total);
    s.appendChild(cards);
    s.appendChild(el("p", { cls: "muted" }, "Файл: ", S.input.file, "; кодировка ", S.input.encoding, "; разделитель ", S.input.delimiter, "."));
    var g = S.generic_values;
    if (g.count > 0) {
      s.appendChild(el("h3", { text: "Общие значения" }));
      s.appendChild(el("p", { cls: "muted", text: "Значение, которое встречается больше чем у " + g.threshold_legal_entities + " юрлиц (телефон колл-центра, общий e-mail, адрес бизнес-центра), само по себе ничего не связывает." }));
      var t = el("table", null, el("tr", null, el("th", { text: "вид" }), el("th", { text: "значение" }), el("th", { text: "у скольких юрлиц" })));
      g.top.forEach(function (x) { t.appendChild(el("tr", null, el("td", { text: x.kind }), el("td", { text: x.value }), el("td", { text: fmt(x.legal_entities) }))); });
      s.appendChild(t);
    }
    if (S.run) {
      var c = S.run.changes || {};
      s.appendChild(el("h3", { text: "Изменения за прогон " + S.run.run_id }));
      var ch = el("div", { cls: "cards", id: "sum-changes" });
      [["firms_created", "фирм создано"], ["firms_merged", "слито"], ["firms_split", "разделено"], ["firms_retired", "упразднено"],
       ["cards_added", "карточек добавлено"], ["cards_removed", "удалено"], ["cards_moved", "перешло в другую фирму"]].forEach(function (p) {
        ch.appendChild(el("div", { cls: "card", "data-change": p[0] }, el("div", { cls: "v", text: fmt(c[p[0]] || 0) }), el("div", { cls: "k", text: p[1] })));
      });
      s.appendChild(ch);
      s.appendChild(el("p", { cls: "muted", text: "Решений администратора применено: " + S.run.overrides_applied + "; подробности в changes.csv." }));
    }
  })();

  // ---- Firms: cards and links by firm, built once.
  var entsOf = [], linksOf = [];
  for (var fi = 0; fi < F.length; fi++) { entsOf.push([]); linksOf.push([]); }
  var cardsOf = E.map(function () { return []; });
  E.forEach(function (e, i) { entsOf[e[2]].push(i); });
  C.forEach(function (c, i) { cardsOf[c[7]].push(i); });
  function firmOfCard(i) { return E[C[i][7]][2]; }
  L.forEach(function (l, i) { linksOf[firmOfCard(l[1])].push(i); });

  function cardLine(i) {
    var c = C[i];
    return el("li", null, el("b", { text: c[0] }), " ", c[1],
      c[2] ? " · ИНН " + c[2] : "", c[3] ? " · тел. " + c[3] : "", c[4] ? " · " + c[4] : "",
      " · менеджер: " + (c[5] || "нет (пул)"), c[6] ? " · активность " + c[6] : "");
  }
  function firmBody(f) {
    var box = el("div");
    var ul = el("ul", { cls: "nested" });
    entsOf[f].forEach(function (e) {
      var li = el("li", null, "Юрлицо ", el("b", { text: E[e][0] }), " ", E[e][1], E[e][3] ? " (ИНН " + E[e][3] + ")" : "");
      var cu = el("ul", { cls: "nested" });
      cardsOf[e].forEach(function (c) { cu.appendChild(cardLine(c)); });
      li.appendChild(cu);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (linksOf[f].length) {
      box.appendChild(el("div", { text: "Связи между карточками:" }));
      var lu = el("ul", { cls: "nested" });
      linksOf[f].forEach(function (li) {
        var l = L[li], a = C[l[1]][0], b = C[l[2]][0];
        lu.appendChild(el("li", null, (l[0] ? "фирма" : "юрлицо") + ": ", el("b", { text: a }), " ~ ", el("b", { text: b }),
          l[3] ? " (" + l[3] + ") " : " ", el("span", { cls: "ev", text: ru(l[4], l[1]) }), " ",
          decisionControls("l:" + li, a, function () { return b; })));
      });
      box.appendChild(lu);
    }
    var first = C[cardsOf[entsOf[f][0]][0]][0];
    var other = el("input", { placeholder: "id другой карточки или фирмы", "data-role": "other" });
    box.appendChild(el("div", { cls: "dec" }, "Решение о фирме (карточка " + first + ") и ", other, ": ",
      decisionControls("f:" + f, first, function () { return other.value.trim(); })));
    return box;
  }
  (function () {
    var s = sec("firms");
    var q = el("input", { type: "search", placeholder: "поиск: название, ИНН, id, менеджер", size: 40, id: "firms-search" });
    var sort = el("select", { id: "firms-sort" });
    [["cards", "по числу карточек"], ["name", "по названию"], ["entities", "по числу юрлиц"], ["id", "по id"]].forEach(function (o) { sort.appendChild(el("option", { value: o[0], text: o[1] })); });
    var info = el("span", { cls: "muted" });
    var list = el("div", { id: "firms-list" });
    var more = el("button", { type: "button", cls: "more", text: "Показать ещё" });
    if (D.firms_total > F.length) {
      s.appendChild(el("p", { cls: "note", id: "firms-omitted" }, "Страница несёт подробности только части базы: " + fmt(F.length) + " фирм из " +
        fmt(D.firms_total) + " (" + fmt(C.length) + " карточек из " + fmt(D.cards_total) + ") — сначала фирмы из проверки и конфликтов, затем самые крупные. Не показано фирм: ",
        el("b", { id: "firms-omitted-count", text: fmt(D.firms_total - F.length) }),
        ". Все фирмы, карточки и связи — в firms.csv, cards.csv и links.csv рядом с этим файлом; поиск здесь ищет только среди показанных."));
    }
    s.appendChild(el("p", null, q, " ", sort, " ", info));
    s.appendChild(list);
    s.appendChild(more);
    s.appendChild(el("p", { cls: "muted", text: "Все фирмы — в firms.csv, карточки — в cards.csv, связи — в links.csv." }));
    var idx = [], shown = 0;
    function hay(f) {
      var x = F[f], t = [x[0], x[1], x[4]];
      entsOf[f].forEach(function (e) {
        t.push(E[e][0], E[e][1], E[e][3]);
        cardsOf[e].forEach(function (c) { t.push(C[c][0], C[c][5]); });
      });
      return t.join(" ").toLowerCase();
    }
    var cache = null;
    function apply() {
      var needle = q.value.trim().toLowerCase();
      idx = [];
      if (needle) {
        if (!cache) cache = F.map(function (_, f) { return hay(f); });
        for (var f = 0; f < F.length; f++) if (cache[f].indexOf(needle) >= 0) idx.push(f);
      } else for (var g = 0; g < F.length; g++) idx.push(g);
      var k = sort.value;
      idx.sort(function (a, b) {
        if (k === "cards") return F[b][3] - F[a][3] || a - b;
        if (k === "entities") return F[b][2] - F[a][2] || a - b;
        if (k === "name") return F[a][1].localeCompare(F[b][1], "ru") || a - b;
        return a - b;
      });
      list.textContent = "";
      shown = 0;
      page();
    }
    function page() {
      var end = Math.min(idx.length, shown + PAGE);
      for (; shown < end; shown++) {
        var f = idx[shown], x = F[f];
        var d = el("details", { "data-firm": x[0] });
        d.appendChild(el("summary", null, el("b", { text: x[0] }), " ", x[1], " — юрлиц: " + x[2] + ", карточек: " + x[3],
          x[4] ? " · владелец " + x[4] : " · в пуле", x[6] ? " · конфликт" : ""));
        (function (d, f) {
          d.addEventListener("toggle", function () { if (d.open && d.childNodes.length === 1) d.appendChild(firmBody(f)); });
        })(d, f);
        list.appendChild(d);
      }
      info.textContent = "показано " + fmt(shown) + " из " + fmt(idx.length);
      more.hidden = shown >= idx.length;
    }
    var timer = null;
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 200); });
    sort.addEventListener("change", apply);
    more.addEventListener("click", page);
    apply();
  })();

  // ---- Review.
  (function () {
    var s = sec("review");
    s.appendChild(el("p", { cls: "muted", text: "Пары, по которым решение было на грани: счёт в пределах " + Math.round(D.margin * 100) +
      " % от порога (связаны или нет), связи в обход защиты от цепочек, карточки с общим ИНН и непохожим названием. Самые сомнительные сверху. Все строки — в review.csv" +
      (D.review_total > R.length ? " (здесь первые " + fmt(R.length) + " из " + fmt(D.review_total) + ")." : ".") }));
    var t = el("table", { id: "review-table" }), head = el("tr");
    ["№", "почему", "уровень", "карточка A", "карточка B", "счёт / порог", "сейчас", "доказательства", "решение"].forEach(function (x) { head.appendChild(el("th", { text: x })); });
    t.appendChild(head);
    var more = el("button", { type: "button", cls: "more", text: "Показать ещё" });
    s.appendChild(t);
    s.appendChild(more);
    var shown = 0;
    function side(i) { var c = C[i]; return el("td", null, el("b", { text: c[0] }), " ", c[1], c[2] ? " (ИНН " + c[2] + ")" : ""); }
    function page() {
      var end = Math.min(R.length, shown + PAGE);
      for (; shown < end; shown++) {
        var r = R[shown], a = C[r[2]][0], b = C[r[3]][0];
        var tr = el("tr", { "data-review": String(shown) },
          el("td", { text: String(shown + 1) }), el("td", { text: KIND[r[0]] || r[0] }), el("td", { text: LEVEL[r[1]] || r[1] }),
          side(r[2]), side(r[3]), el("td", { text: r[4] + " / " + r[5] }),
          el("td", { text: r[6] ? (r[1] === "entity" ? "одно юрлицо" : "одна фирма") : (r[1] === "entity" ? "разные юрлица" : "разные фирмы") }),
          el("td", { cls: "ev", text: ru(r[7]) }));
        (function (a, b) { tr.appendChild(el("td", null, decisionControls("r:" + a + "\u0000" + b, a, function () { return b; }))); })(a, b);
        t.appendChild(tr);
      }
      more.hidden = shown >= R.length;
    }
    more.addEventListener("click", page);
    page();
  })();

  // ---- Conflicts. The evidence: up to three links of the firm between cards of different managers.
  function conflictEvidence(f) {
    var out = [];
    for (var i = 0; i < linksOf[f].length && out.length < 3; i++) {
      var l = L[linksOf[f][i]], a = C[l[1]], b = C[l[2]];
      if (a[5] && b[5] && a[5] !== b[5]) out.push(a[0] + " (" + a[5] + ") ~ " + b[0] + " (" + b[5] + "): " + ru(l[4], l[1]));
    }
    return out.join(" | ");
  }
  (function () {
    var s = sec("conflicts"), K = D.conflicts;
    s.appendChild(el("p", { cls: "muted", text: "Фирм, карточки которых ведут несколько менеджеров: " + fmt(D.conflicts_total) +
      (D.conflicts_total > K.length ? " (здесь " + fmt(K.length) + ", с наибольшим числом карточек)" : "") + ". Политика выбора владельца: " + D.policy + ". Все — в conflicts.csv." }));
    var list = el("div");
    var shown = 0, more = el("button", { type: "button", cls: "more", text: "Показать ещё" });
    function page() {
      var end = Math.min(K.length, shown + PAGE);
      for (; shown < end; shown++) {
        var k = K[shown], f = F[k[0]];
        list.appendChild(el("details", { "data-conflict": f[0] },
          el("summary", null, el("b", { text: f[0] }), " ", f[1], " — владелец: ", el("b", { text: k[1] || "нет" })),
          el("div", null, "Менеджеры на карточках: ", k[2]), el("div", { cls: "ev" }, "Почему это одна фирма: ", conflictEvidence(k[0]))));
      }
      more.hidden = shown >= K.length;
    }
    s.appendChild(list);
    s.appendChild(more);
    more.addEventListener("click", page);
    page();
  })();

  // ---- Managers: bars of firms held against the limit.
  (function () {
    var s = sec("managers"), M = D.managers;
    if (!M.length) { s.appendChild(el("p", { cls: "muted", text: "В выгрузке нет менеджеров." })); return; }
    var NS = "http://www.w3.org/2000/svg";
    function sv(tag, attrs, text) { var n = document.createElementNS(NS, tag); for (var k in attrs) n.setAttribute(k, attrs[k]); if (text != null) n.textContent = String(text); return n; }
    var max = 1;
    M.forEach(function (m) { max = Math.max(max, m[1], m[2]); });
    var rowH = 20, left = 160, width = 460, h = M.length * rowH + 24;
    var svg = sv("svg", { width: left + width + 330, height: h, role: "img", id: "managers-chart" });
    svg.appendChild(sv("title", {}, "Фирм у менеджера против лимита"));
    M.forEach(function (m, i) {
      var y = i * rowH + 4, w = Math.max(1, Math.round(width * m[1] / max)), lx = left + Math.round(width * m[2] / max);
      svg.appendChild(sv("text", { x: 4, y: y + 13 }, m[0]));
      svg.appendChild(sv("rect", { x: left, y: y, width: w, height: rowH - 6, fill: m[3] > 0 ? "#c0392b" : "#4a7bd0", "data-manager": m[0] }));
      // Inside the bar: held firms gone stale (dark strip on top) and idle over 90 days (orange strip below).
      if (m[4] > 0) svg.appendChild(sv("rect", { x: left, y: y, width: Math.round(width * m[4] / max), height: 4, fill: "#333", "data-stale": m[4] }));
      if (m[7] > 0) svg.appendChild(sv("rect", { x: left, y: y + rowH - 10, width: Math.round(width * m[7] / max), height: 4, fill: "#e67e22", "data-idle": m[7] }));
      if (m[2] > 0) svg.appendChild(sv("line", { x1: lx, x2: lx, y1: y - 2, y2: y + rowH - 4, stroke: "#222", "stroke-width": 2 }));
      svg.appendChild(sv("text", { x: Math.max(left + w, lx) + 6, y: y + 13 }, m[1] + (m[2] > 0 ? " / " + m[2] : "") + " · без активности 90 дн.: " + m[7] + " · устаревших: " + m[4]));
    });
    s.appendChild(el("p", { cls: "muted", text: "Полоса — фирм у менеджера, черта — лимит; красная полоса — сверх лимита. Внутри полосы: тёмная черта сверху — устаревшие фирмы, оранжевая снизу — без активности больше 90 дней." }));
    s.appendChild(svg);
    var t = el("table", { id: "managers-table" });
    var head = el("tr");
    ["менеджер", "фирм", "лимит", "сверх лимита", "устаревших", "без активности 30 дн.", "60 дн.", "90 дн.", "карточек"].forEach(function (x) { head.appendChild(el("th", { text: x })); });
    t.appendChild(head);
    M.forEach(function (m) { var tr = el("tr"); m.slice(0, 9).forEach(function (v) { tr.appendChild(el("td", { text: String(v) })); }); t.appendChild(tr); });
    s.appendChild(t);

    // The trend since the last nightly runs (manager_history in the state): the change of each figure since the
    // previous run and since 30 days ago, and a line of firms held (blue) and active (green) over the runs.
    s.appendChild(el("h3", { text: "Динамика по прогонам" }));
    var runs = M.reduce(function (n, m) { return Math.max(n, m[12].length); }, 0);
    if (!runs) {
      s.appendChild(el("p", { cls: "muted", id: "managers-trend-none", text: "Динамика появится после второго ночного прогона с --state: каждый прогон записывает цифры менеджеров в состояние (таблица manager_history)." }));
      return;
    }
    s.appendChild(el("p", { cls: "muted", text: "По данным " + runs + " предыдущих прогонов (таблица manager_history) и этого. Изменение: сейчас минус тогда; «активных» — фирм с активностью за 30 дней, «без активности» — больше 90 дней. Линия: синяя — фирм у менеджера, зелёная — активных." }));
    function delta(now, then, i) {
      if (!then) return "—";
      var d = now[i] - then[i];
      return d > 0 ? "+" + d : String(d);
    }
    var tt = el("table", { id: "managers-trend" }), th = el("tr");
    ["менеджер", "фирм", "Δ с прошлого", "Δ за 30 дн.", "активных", "Δ с прошлого", "Δ за 30 дн.", "без активности 90 дн.", "Δ с прошлого", "Δ за 30 дн.", "устаревших", "Δ с прошлого", "по прогонам"].forEach(function (x) { th.appendChild(el("th", { text: x })); });
    tt.appendChild(th);
    function spark(m) {
      var pts = m[12].map(function (p) { return p[1]; }).concat([m[9]]);
      var hi = 1;
      pts.forEach(function (p) { hi = Math.max(hi, p[0], p[1]); });
      var W = 120, H = 24, n = pts.length;
      var svg = sv("svg", { width: W, height: H, role: "img", "data-trend": m[0], "data-points": String(n) });
      svg.appendChild(sv("title", {}, "фирм: " + pts.map(function (p) { return p[0]; }).join(" → ") + "; активных: " + pts.map(function (p) { return p[1]; }).join(" → ")));
      [[0, "#4a7bd0"], [1, "#2e9e4f"]].forEach(function (k) {
        var xy = pts.map(function (p, i) { return (n > 1 ? Math.round(i * (W - 4) / (n - 1)) + 2 : W / 2) + "," + (H - 2 - Math.round((H - 4) * p[k[0]] / hi)); });
        svg.appendChild(sv("polyline", { points: xy.join(" "), fill: "none", stroke: k[1], "stroke-width": 1.5 }));
      });
      return svg;
    }
    M.forEach(function (m) {
      var now = m[9], prev = m[10], old = m[11];
      var tr = el("tr", { "data-trend-row": m[0] }, el("td", { text: m[0] }));
      for (var i = 0; i < 4; i++) {
        tr.appendChild(el("td", { text: String(now[i]) }));
        tr.appendChild(el("td", i === 0 ? { text: delta(now, prev, i), "data-delta": "prev" } : { text: delta(now, prev, i) }));
        if (i < 3) tr.appendChild(el("td", { text: delta(now, old, i) }));
      }
      tr.appendChild(el("td", null, spark(m)));
      tt.appendChild(tr);
    });
    s.appendChild(tt);
  })();

  // How long the page took to open (navigation start to here), for the record.
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now())));

  // ---- Test hook: `#test-decide=ROW:ACTION:LEVEL:REASON` clicks that button of review row ROW through the
  // page's own handlers, then writes the CSV the download button would save into #test-csv.
  var h = decodeURIComponent(location.hash || "");
  if (h.indexOf("#test-decide=") === 0) {
    var parts = h.slice("#test-decide=".length).split(":");
    var row = document.querySelector('tr[data-review="' + parseInt(parts[0], 10) + '"]');
    if (row) {
      var reason = row.querySelector('input[data-role="reason"]');
      reason.value = parts.slice(3).join(":");
      reason.dispatchEvent(new Event("input"));
      row.querySelector('button[data-action="' + parts[1] + ":" + parts[2] + '"]').click();
      var by = sec("decisions-by"); by.value = "test";
    }
    var out = sec("test-csv");
    out.textContent = collectCsv();
    out.hidden = false;
  }
})();

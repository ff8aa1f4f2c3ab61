//! `firmdedup serve`: the real binary on a free 127.0.0.1 port, asked over HTTP; a nightly run beneath it; SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::workdir::{Workdir, bin, fixture};

pub const TODAY: &str = "2026-11-27";

/// A running `firmdedup serve`, killed when dropped (unless stopped first).
pub struct Server {
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve --state FILE --listen 127.0.0.1:0` in the work dir and waits for the address it prints.
    pub fn start(wd: &Workdir, state: &str) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--state", state, "--listen", "127.0.0.1:0", "--today", TODAY])
            .current_dir(wd.root())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning firmdedup serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("piped stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
                let mut l = log.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("serve did not print its address; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        Server { child: Some(child), addr, stderr }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// GET with query parameters (encoded here): status, content type, CSP header, body.
    pub fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut req = agent.get(&self.url(path));
        for (k, v) in params {
            req = req.query(*k, *v);
        }
        let mut resp = req.call().unwrap_or_else(|e| panic!("GET {path}: {e}\nstderr:\n{}", self.stderr()));
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let content_type = header("content-type");
        let csp = header("content-security-policy");
        let set_cookie = header("set-cookie");
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().expect("reading the body");
        Reply { status, content_type, csp, set_cookie, body }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn terminate(&mut self) -> i32 {
        let mut child = self.child.take().expect("still running");
        let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        assert!(ok.success());
        let t = Instant::now();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            if t.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("serve did not stop on SIGTERM; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One HTTP answer.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub csp: String,
    pub set_cookie: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// The demo base's state.
pub fn demo_state(wd: &Workdir) {
    let input = fixture("demo/crm.csv");
    wd.run(&["dedup", input.to_str().unwrap(), "--state", "state.db", "--out", "out", "--today", TODAY, "-q"])
        .success();
}

/// The text of the element with this id on a page (the first one), tags removed.
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let open_end = rest.find('>')? + 1;
    let close = rest[open_end..].find("</")?;
    Some(rest[open_end..open_end + close].to_string())
}

#[test]
fn api_check_answers_exactly_as_check_json_and_refuses_bad_values() {
    let wd = Workdir::new();
    demo_state(&wd);
    let server = Server::start(&wd, "state.db");
    let questions: [&[(&str, &str)]; 5] = [
        &[("name", "Ромашка"), ("manager", "petrov")],
        &[("inn", "7701123451")],
        &[("phone", "+7 (495) 123-45-67"), ("manager", "kozlov")],
        &[("name", "ООО «Рога и копыта»"), ("phone", "+7 495 000-11-22"), ("limit", "2")],
        &[("email", "vector-1987@yandex.ru"), ("contact", "Иванов И.И.")],
    ];
    for q in questions {
        let http = server.get("/api/check", q);
        assert_eq!(http.status, 200, "{}", http.body);
        assert!(http.content_type.starts_with("application/json"), "{}", http.content_type);
        let mut args = vec!["check".to_string(), "--state".into(), "state.db".into(), "--json".into()];
        args.extend(["--today".into(), TODAY.into()]);
        for (k, v) in q {
            args.push(format!("--{k}"));
            args.push(v.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cli = wd.run(&args).success().stdout();
        assert_eq!(http.body, cli, "the API returns check --json's object byte for byte, for {q:?}");
    }
    assert_eq!(server.get("/api/check", &[("inn", "7701123451")]).json()["found"], true);

    // Bad values: 400 with {"error": …}, naming what was wrong.
    for (q, needle) in [
        (vec![("phone", "abc")], "abc"),
        (vec![("email", "ivanov at mail")], "ivanov at mail"),
        (vec![("name", "Ромашка"), ("limit", "0")], "limit"),
        (vec![("name", "Ромашка"), ("limit", "many")], "limit"),
        (vec![("nmae", "Ромашка")], "nmae"),
        (vec![], "nothing"),
    ] {
        let r = server.get("/api/check", &q);
        assert_eq!(r.status, 400, "{q:?}: {}", r.body);
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(needle), "{q:?}: {msg}");
    }
    // An ИНН failing its check digits is not refused: answered 200 with a note, and never "free".
    let r = server.get("/api/check", &[("inn", "123")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["found"], false);
    assert!(r.json()["verdict"].as_str().unwrap().starts_with("Не определить"), "{}", r.body);
    let long = "я".repeat(600);
    assert_eq!(server.get("/api/check", &[("name", &long)]).status, 400);
    // A request target past the bound is refused before any look-up.
    let huge = "a".repeat(9000);
    assert_eq!(server.get("/api/check", &[("name", &huge)]).status, 414);
    assert_eq!(server.get("/nowhere", &[]).status, 404);
    // A body past the bound (the service reads none) is refused from its length alone.
    let mut tcp = std::net::TcpStream::connect(&server.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    use std::io::{Read, Write};
    write!(tcp, "GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n").unwrap();
    tcp.write_all(&[b'x'; 1000]).unwrap();
    let mut reply = String::new();
    let _ = tcp.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains(r#"{"error":"request body longer than"#), "{reply}");

    // Health: the last run and its time.
    let h = server.get("/api/health", &[]).json();
    assert_eq!(h["last_run"]["run_id"], 1);
    assert_eq!(h["last_run"]["outcome"], "ok");
    assert_eq!(h["last_run"]["cards"], 226);
    assert!(h["last_run"]["finished_at"].as_str().is_some_and(|t| t.len() == 20 && t.ends_with('Z')), "{h}");

    // One access-log line per request on stderr, without the query (client data).
    // Every request above is logged; wait for all of them (a line is written once its answer is done, so the
    // last one may lag behind the answer the test already read).
    let want = 5 + 1 + 6 + 1 + 2 + 1 + 1 + 1;
    let t = Instant::now();
    let logged = || server.stderr().lines().filter(|l| l.contains(" GET /")).count();
    while logged() < want && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.stderr();
    assert!(log.lines().any(|l| l.contains("GET /api/check 400 ")), "{log}");
    assert!(log.lines().any(|l| l.contains("GET /api/health 200 ")), "{log}");
    assert!(!log.contains("7701123451"), "the log keeps no query values:\n{log}");
    assert_eq!(logged(), want, "{log}");
}

#[test]
fn the_page_answers_in_russian_and_remembers_who_asks() {
    let wd = Workdir::new();
    demo_state(&wd);
    let server = Server::start(&wd, "state.db");
    let empty = server.get("/", &[]);
    assert_eq!(empty.status, 200);
    assert!(empty.content_type.starts_with("text/html"));
    assert!(empty.body.contains("<html lang=\"ru\">") && empty.body.contains("Проверить"));
    // Nothing from the network, no script, the style allowed by the response's nonce only.
    assert!(!empty.body.contains("<script") && !empty.body.contains("http://") && !empty.body.contains("https://"));
    let nonce = empty.csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap_or_default().to_string();
    assert_eq!(nonce.len(), 32, "CSP: {}", empty.csp);
    assert!(empty.csp.starts_with("default-src 'none'"), "{}", empty.csp);
    assert!(empty.body.contains(&format!("<style nonce=\"{nonce}\">")));

    // ИНН typed in the one field: recognised, the firm found, held by kozlov 26 days ago.
    let r = server.get("/", &[("q", "7701 123 451"), ("me", "petrov")]);
    assert_eq!(r.status, 200);
    assert_eq!(element_text(&r.body, "recognised").as_deref(), Some("Понято как: ИНН"));
    let verdict = element_text(&r.body, "verdict").unwrap();
    assert!(verdict.starts_with("Закреплена за kozlov") && verdict.contains("26 дней"), "{verdict}");
    assert!(r.body.contains("ООО «Ромашка»") && r.body.contains("Юрлица") && r.body.contains("Владелец"));
    assert!(r.set_cookie.starts_with("firmdedup_me=petrov;"), "{}", r.set_cookie);
    // The owner asking: yours; a new firm: free.
    let mine = server.get("/", &[("q", "+7 (495) 123-45-67"), ("me", "kozlov")]);
    assert_eq!(element_text(&mine.body, "recognised").as_deref(), Some("Понято как: телефон"));
    assert!(element_text(&mine.body, "verdict").unwrap().starts_with("Ваша"), "{}", mine.body);
    let new = server.get("/", &[("q", "ООО Совершенно Новая Фирма Зюзюка")]);
    assert_eq!(element_text(&new.body, "verdict").as_deref(), Some("Фирма свободна"));
    // A bad value: said on the page, status 400.
    let bad = server.get("/", &[("q", "ivanov@")]);
    assert_eq!(bad.status, 400);
    assert_eq!(element_text(&bad.body, "verdict").as_deref(), Some("Не понял запрос"));
}

/// Cards: id, name, inn, phone.
fn export(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut s = "id,name,inn,phones,manager,last_activity\n".to_string();
    for (id, name, inn, phone) in rows {
        s.push_str(&format!("{id},\"{name}\",{inn},{phone},petrov,2026-11-20\n"));
    }
    s
}

const V1: [(&str, &str, &str, &str); 3] = [
    ("1", "ООО Альтаир", "7701000019", "+7 495 100-00-01"),
    ("2", "ООО Бриз", "7701000026", "+7 495 200-00-02"),
    ("3", "ООО Омега", "7701000033", "+7 495 600-00-06"),
];

#[test]
fn a_nightly_run_beneath_the_server_is_seen_at_once_and_never_half() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&V1));
    wd.run(&["dedup", "v1.csv", "--state", "state.db", "--out", "o1", "--today", TODAY, "-q"]).success();
    let mut v2 = V1.to_vec();
    v2.push(("4", "Омега", "", "+7 495 600-00-06"));
    v2.push(("5", "ООО Омега", "7701000033", ""));
    wd.write("v2.csv", export(&v2));
    let server = Server::start(&wd, "state.db");
    let ask = || server.get("/api/check", &[("inn", "7701000033")]);
    let old = ask();
    assert_eq!(old.status, 200, "{}", old.body);
    assert_eq!(old.json()["matches"][0]["cards"], 1);

    // A nightly run that has written every row but not committed: the server still answers the old state.
    let marker = wd.path("paused.marker");
    let mut paused = Command::new(bin())
        .args(["dedup", "v2.csv", "--state", "state.db", "--out", "paused", "--today", TODAY, "-q"])
        .current_dir(wd.root())
        .env("FIRMDEDUP_TEST_PAUSE_BEFORE_COMMIT", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !marker.exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "the run never reached its commit");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ask().body, old.body, "uncommitted rows are not seen");
    paused.kill().unwrap();
    paused.wait().unwrap();
    assert_eq!(ask().body, old.body, "a killed run leaves the old state served");

    // Clients asking all along while the nightly run commits: every answer is the whole old state or the whole
    // new one, and the new one is seen without a restart.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let addr = server.addr.clone();
    let hammer = {
        let (stop, answers) = (Arc::clone(&stop), Arc::clone(&answers));
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut r = agent.get(format!("http://{addr}/api/check")).query("inn", "7701000033").call().unwrap();
                let status = r.status().as_u16();
                answers.lock().unwrap().push((status, r.body_mut().read_to_string().unwrap()));
            }
        })
    };
    wd.run(&["dedup", "v2.csv", "--state", "state.db", "--out", "o2", "--today", TODAY, "-q"]).success();
    let new = ask();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    hammer.join().unwrap();
    assert_eq!(new.json()["matches"][0]["cards"], 3, "{}", new.body);
    let answers = answers.lock().unwrap();
    assert!(answers.len() >= 5, "the clients asked {} times", answers.len());
    for (status, body) in answers.iter() {
        assert_eq!(*status, 200, "{body}");
        assert!(body == &old.body || body == &new.body, "an answer mixing two states:\n{body}");
    }
    assert_eq!(server.get("/api/health", &[]).json()["last_run"]["run_id"], 2);
}

#[test]
fn sigterm_stops_the_server_gracefully_and_it_never_writes_the_state() {
    let wd = Workdir::new();
    demo_state(&wd);
    let before = std::fs::read(wd.path("state.db")).unwrap();
    let mut server = Server::start(&wd, "state.db");
    assert_eq!(server.get("/api/check", &[("name", "Ромашка")]).status, 200);
    assert_eq!(server.terminate(), 0, "{}", server.stderr());
    assert!(server.stderr().contains("firmdedup serve: stopped"), "{}", server.stderr());
    assert_eq!(std::fs::read(wd.path("state.db")).unwrap(), before, "the state file is untouched");
    // A missing or foreign state is refused before listening (exit 3, as `check` does).
    let err = wd.run(&["serve", "--state", "missing.db", "--listen", "127.0.0.1:0"]).fails_with(3).stderr();
    assert!(err.contains("missing.db"), "{err}");
    wd.write("notes.db", "not a database\n".repeat(200));
    wd.run(&["serve", "--state", "notes.db", "--listen", "127.0.0.1:0"]).fails_with(3);
}

#[test]
fn a_crm_name_carrying_html_stays_text_on_the_page() {
    let wd = Workdir::new();
    wd.write(
        "crm.csv",
        "id,name,inn,brand,manager\n\
         1,ООО Ромашка <script>alert(1)</script> Плюс,7701000019,Бренд <img src=x onerror=alert(2)> Люкс,\"<b>boss</b>\"\n",
    );
    wd.run(&["dedup", "crm.csv", "--state", "state.db", "--out", "o", "-q"]).success();
    let server = Server::start(&wd, "state.db");
    let r = server.get("/", &[("q", "7701000019"), ("me", "\"><script>alert(3)</script>")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", r.body);
    assert!(r.body.contains("&lt;img src=x onerror=alert(2)&gt;"), "{}", r.body);
    assert!(r.body.contains("&lt;b&gt;boss&lt;/b&gt;"), "{}", r.body);
    assert!(r.body.contains("value=\"&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;\""), "{}", r.body);
    for raw in ["<script", "<img", "<b>"] {
        assert!(!r.body.contains(raw), "{raw} reached the page as markup:\n{}", r.body);
    }
}

#[test]
fn a_name_carried_by_two_firms_is_never_called_free_on_the_page() {
    let wd = Workdir::new();
    wd.write(
        "crm.csv",
        export(&[
            ("1", "ООО Альфа", "7701000019", "+7 495 100-00-01"),
            ("2", "ООО Альфа", "7701000026", "+7 495 200-00-02"),
        ]),
    );
    wd.run(&["dedup", "crm.csv", "--state", "state.db", "--out", "o", "--today", TODAY, "-q"]).success();
    let server = Server::start(&wd, "state.db");
    let r = server.get("/", &[("q", "Альфа")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let verdict = element_text(&r.body, "verdict").unwrap();
    assert!(!verdict.contains("свободна"), "{verdict}");
    assert!(verdict.starts_with("Не определить"), "{verdict}");
    // A mistyped ИНН alone is not "free" either.
    let r = server.get("/", &[("q", "7701000010")]);
    let verdict = element_text(&r.body, "verdict").unwrap();
    assert!(!verdict.contains("свободна"), "{verdict}");
}

#[test]
fn a_phone_on_many_firms_is_never_called_free_on_the_page() {
    let wd = Workdir::new();
    // An agency's phone on seven clients' cards (more than `generic.max_entities`).
    let rows: Vec<(String, String)> =
        (1..=7).map(|i| (i.to_string(), format!("ООО Клиент{}", ["А", "Б", "В", "Г", "Д", "Е", "Ж"][i - 1]))).collect();
    let rows: Vec<(&str, &str, &str, &str)> =
        rows.iter().map(|(id, name)| (id.as_str(), name.as_str(), "", "+7 495 754-00-98")).collect();
    wd.write("crm.csv", export(&rows));
    wd.run(&["dedup", "crm.csv", "--state", "state.db", "--out", "o", "--today", TODAY, "-q"]).success();
    let server = Server::start(&wd, "state.db");
    let r = server.get("/", &[("q", "8 495 754 00 98")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let verdict = element_text(&r.body, "verdict").unwrap();
    assert!(verdict.starts_with("Не определить: телефон из вопроса есть у 7 фирм"), "{verdict}");
    assert!(r.body.contains("ООО «КлиентА»") || r.body.contains("ООО КлиентА"), "the carriers are listed:\n{}", r.body);
}

#[test]
fn the_page_gives_the_managers_nudge_when_a_release_rule_is_on() {
    let wd = Workdir::new();
    let input = fixture("demo/crm.csv");
    let nightly = |config: &str, state: &str| {
        wd.write("sales.toml", config);
        wd.run(&[
            "dedup",
            input.to_str().unwrap(),
            "--config",
            "sales.toml",
            "--state",
            state,
            "--out",
            "out",
            "--today",
            TODAY,
            "-q",
        ])
        .success();
    };
    nightly("[ownership]\nrelease_after_days = 180\n", "rule.db");
    nightly("", "plain.db");
    let q = [("q", "7701 123 451"), ("me", "kozlov")];
    // The page says what `check --manager` says.
    let check = wd
        .run(&["check", "--state", "rule.db", "--inn", "7701123451", "--manager", "kozlov", "--json", "--today", TODAY])
        .success();
    let answer: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    let want = answer["manager_note"].as_str().expect("check gives a note").to_string();
    assert!(want.starts_with("у вас ") && want.contains("уйдут в копилку"), "{want}");
    let server = Server::start(&wd, "rule.db");
    let r = server.get("/", &q);
    assert_eq!(r.status, 200);
    assert_eq!(element_text(&r.body, "manager-note").as_deref(), Some(want.as_str()), "{}", r.body);
    // Without a release rule: no nudge.
    let plain = Server::start(&wd, "plain.db");
    assert!(element_text(&plain.get("/", &q).body, "manager-note").is_none());
}

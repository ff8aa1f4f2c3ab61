//! The managers' page in a real browser: headless Chromium (Debian's `chromium`) opens the page of a running
//! `firmdedup serve`, a query is typed into the search field and submitted with Enter, and the verdict is read
//! from what the browser shows. Driven over the DevTools protocol (a small client on tungstenite), plus
//! `--dump-dom` for a plain form GET.
//!
//! Without chromium the tests say so loudly and pass; with `FIRMDEDUP_REQUIRE_CHROMIUM=1` (set by .ci/run) a
//! missing chromium fails them.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{Server, demo_state};
use crate::workdir::Workdir;

use crate::workdir::CHROMIUM_FLAGS as FLAGS;

/// True when chromium runs here; otherwise prints why the test is skipped (or fails when CI requires it).
fn have_chromium() -> bool {
    let ok = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("FIRMDEDUP_REQUIRE_CHROMIUM").is_none(),
            "FIRMDEDUP_REQUIRE_CHROMIUM is set but `chromium` does not run"
        );
        eprintln!(
            "\n!!!!!!!! SKIPPED: the browser test needs `chromium` (apt-get install chromium); not found !!!!!!!!\n"
        );
    }
    ok
}

/// What chromium shows for a URL once loaded (`--dump-dom`).
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stderr(Stdio::null())
        .output()
        .expect("running chromium");
    assert!(out.status.success(), "chromium --dump-dom {url} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A headless chromium driven over the DevTools protocol, one page.
struct Browser {
    child: Child,
    ws: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning chromium");
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("DevTools listening on ws://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
            }
        });
        let Ok(host) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("chromium did not open its DevTools port");
        };
        // The page target's own socket.
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(20))).build().into();
        let list: Value = serde_json::from_str(
            &agent.get(format!("http://{host}/json/list")).call().unwrap().body_mut().read_to_string().unwrap(),
        )
        .unwrap();
        let page_ws = list
            .as_array()
            .and_then(|a| a.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let stream = TcpStream::connect(&host).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let (ws, _) = tungstenite::client(page_ws.as_str(), stream).expect("DevTools websocket");
        Browser { child, ws, next_id: 0, _profile: profile }
    }

    /// Sends one command and waits for its reply (events in between are ignored).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(tungstenite::Message::text(msg)).expect("sending to chromium");
        loop {
            let m = self.ws.read().expect("reading from chromium");
            let Ok(text) = m.into_text() else { continue };
            let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            if v["id"] == id {
                // An evaluation while the page navigates has no context yet: the caller asks again.
                if method == "Runtime.evaluate" && v.get("error").is_some() {
                    return Value::Null;
                }
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expr: &str) -> Value {
        self.call("Runtime.evaluate", json!({"expression": expr, "returnByValue": true}))["result"]["value"].clone()
    }

    /// Waits until the expression is truthy and returns it.
    fn wait_for(&mut self, expr: &str) -> Value {
        let t = Instant::now();
        loop {
            let v = self.eval(expr);
            if !(v.is_null() || v == false || v == "") {
                return v;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "waited in vain for {expr}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for(&format!(
            "document.readyState === 'complete' && location.href.startsWith({}) && !!document.getElementById('q')",
            json!(url)
        ));
    }

    /// Focuses a field and types into it like a keyboard would, then presses Enter.
    fn type_into(&mut self, id: &str, text: &str) {
        self.eval(&format!("document.getElementById({}).focus()", json!(id)));
        self.call("Input.insertText", json!({"text": text}));
    }

    fn press_enter(&mut self) {
        for ty in ["keyDown", "keyUp"] {
            let mut p = json!({"type": ty, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13});
            if ty == "keyDown" {
                p["text"] = json!("\r");
            }
            self.call("Input.dispatchKeyEvent", p);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_manager_types_a_name_and_reads_the_verdict_in_chromium() {
    if !have_chromium() {
        return;
    }
    let wd = Workdir::new();
    demo_state(&wd);
    let server = Server::start(&wd, "state.db");
    let mut b = Browser::start();
    b.navigate(&server.url("/"));
    // The page's own style applies under its Content-Security-Policy (the nonce works): the button is blue.
    assert_eq!(b.eval("getComputedStyle(document.getElementById('go')).backgroundColor"), "rgb(26, 95, 180)");
    assert_eq!(b.eval("document.activeElement && document.activeElement.id"), "q", "the search field has the focus");

    b.type_into("me", "petrov");
    b.type_into("q", "ООО «Ромашка»");
    b.press_enter();
    let verdict = b.wait_for("(document.getElementById('verdict') || {}).textContent");
    let verdict = verdict.as_str().unwrap();
    assert!(verdict.starts_with("Закреплена за kozlov") && verdict.contains("26 дней"), "{verdict}");
    assert_eq!(b.eval("document.getElementById('recognised').textContent"), "Понято как: название");
    let firm = b.eval("document.getElementById('firm').textContent");
    assert!(firm.as_str().unwrap().contains("ООО «Ромашка»"), "{firm}");
    let shown = b.eval("document.body.innerText");
    let shown = shown.as_str().unwrap();
    for part in ["Юрлица", "Бренды", "Владелец", "Почему"] {
        assert!(shown.contains(part), "{part} not shown:\n{shown}");
    }

    // "Кто я" is remembered by this browser: a fresh page has it filled in, and the owner reads "yours".
    b.navigate(&server.url("/"));
    assert_eq!(b.eval("document.getElementById('me').value"), "petrov");
    b.eval("document.getElementById('me').value = ''");
    b.type_into("me", "kozlov");
    b.type_into("q", "+7 (495) 123-45-67");
    b.press_enter();
    b.wait_for("location.search.includes('me=kozlov') && !!document.getElementById('verdict')");
    let v = b.eval("document.getElementById('verdict').textContent");
    assert!(v.as_str().unwrap().starts_with("Ваша"), "{v}");
    assert_eq!(b.eval("document.getElementById('recognised').textContent"), "Понято как: телефон");

    // A plain form GET, as a link from the CRM would open it.
    let dom = dump_dom(&server.url("/?q=%D0%97%D1%8E%D0%B7%D1%8E%D0%BA%D0%B0%20%D0%9D%D0%BE%D0%B2%D0%B0%D1%8F"));
    assert!(dom.contains("<p id=\"verdict\" class=\"free\">Фирма свободна</p>"), "{dom}");
}

#[test]
fn a_crm_name_carrying_html_stays_text_in_chromium() {
    if !have_chromium() {
        return;
    }
    let wd = Workdir::new();
    wd.write(
        "crm.csv",
        "id,name,inn,brand,manager\n\
         1,ООО Ромашка <script>document.title='pwned'</script> Плюс,7701000019,Бренд <img src=x onerror=document.title=1> Люкс,ivanova\n",
    );
    wd.run(&["dedup", "crm.csv", "--state", "state.db", "--out", "o", "-q"]).success();
    let server = Server::start(&wd, "state.db");
    let mut b = Browser::start();
    b.navigate(&server.url("/"));
    b.type_into("q", "7701000019");
    b.press_enter();
    b.wait_for("!!document.getElementById('verdict') && location.search.includes('q=')");
    assert_eq!(b.eval("document.title"), "Проверка клиента — firmdedup", "no script ran");
    assert_eq!(b.eval("document.scripts.length"), 0);
    assert_eq!(b.eval("document.images.length"), 0);
    let firm = b.eval("document.getElementById('firm').textContent");
    assert!(firm.as_str().unwrap().contains("<script>document.title="), "shown as text: {firm}");
    let shown = b.eval("document.body.innerText");
    assert!(shown.as_str().unwrap().contains("<img src=x onerror="), "{shown}");
}

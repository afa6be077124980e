"""Drive a real JupyterLab in Debian's Chromium with Playwright (no browser download).

`running_lab(root)` starts JupyterLab on 127.0.0.1 with a token; `LabPage`
opens a notebook, runs every cell, and reads what a person would see.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = os.environ.get("AEKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(root: pathlib.Path, timeout: float = 90, env_extra: dict | None = None):
    """Start JupyterLab serving `root` from inside it (as `cd results && jupyter lab`: nbgrader
    reads the folder's own nbgrader_config.py from the working directory); yield its base URL and
    token. `env_extra` goes into the server's environment, and so its kernels'."""
    port, token = _free_port(), secrets.token_hex(16)
    bindir = os.path.dirname(sys.executable)
    config_dir = tempfile.mkdtemp(prefix="aekit-jupyter-config-")
    env = dict(
        os.environ,
        PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
        JUPYTER_CONFIG_DIR=config_dir,
        TF_CPP_MIN_LOG_LEVEL="2",
        **(env_extra or {}),
    )
    log = tempfile.NamedTemporaryFile(prefix="aekit-lab-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.allow_root=True",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    started = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):  # noqa: S310  (http://127.0.0.1)
                    break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: see {log.name}") from exc
                time.sleep(0.3)
        started = True
        yield base, token
    finally:
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(config_dir, ignore_errors=True)
        log.close()
        if started:  # a log is kept only for a lab that did not come up (the error names it)
            os.unlink(log.name)


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class LabPage:
    """JupyterLab open in one browser page, one notebook at a time (`open`, `close_notebook`): the
    page loads JupyterLab's frontend once, not once per notebook (opening a notebook still costs
    about 5 s of CPU, most of it Chromium's)."""

    def __init__(self, browser, base: str, token: str, width: int = 1400, height: int = 1000):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.path = None
        self.page.goto(f"{base}/lab?token={token}&reset")
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands.hasCommand('docmanager:open')",
            timeout=60_000,
        )
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")

    def open(self, path: str) -> None:
        """Open the notebook at `path` (relative to the lab's root) and wait for its kernel."""
        self.close_notebook()
        self.path = path
        self.page.evaluate(
            "(path) => window.jupyterapp.commands.execute('docmanager:open', "
            "{path, factory: 'Notebook'})",
            path,
        )
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        self.page.wait_for_function(
            "(path) => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.context && w.context.path === path && w.sessionContext && "
            "w.sessionContext.session && w.sessionContext.session.kernel && "
            "w.sessionContext.session.kernel.connectionStatus === 'connected'; }",
            arg=path,
            timeout=60_000,
        )

    def close_notebook(self) -> None:
        """Shut the open notebook's kernel down and close it, unsaved (the
        next notebook is alone on the page)."""
        if self.path is None:
            return
        self.page.evaluate(
            """async () => {
                for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
                    if (w.sessionContext) { await w.sessionContext.shutdown(); }
                    w.dispose();
                }
            }"""
        )
        self.page.wait_for_function(
            "() => !document.querySelector('.jp-NotebookPanel')", timeout=30_000
        )
        self.path = None

    def run_all(self, timeout: float = 180) -> float:
        """Run every cell; return the seconds until the kernel is idle with all cells done."""
        start = time.monotonic()
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const cells = w.content.widgets.filter(c => c.model.type === 'code');
                const done = cells.every(c => c.model.executionCount !== null);
                const busy = document.querySelectorAll('.jp-InputArea-prompt').length &&
                    Array.from(document.querySelectorAll('.jp-InputArea-prompt')).some(p => p.textContent.includes('*'));
                return done && !busy && w.sessionContext.session.kernel.status === 'idle';
            }""",  # noqa: E501  (verbatim text: its lines are what the code feeds on)
            timeout=timeout * 1000,
            polling=200,
        )
        return time.monotonic() - start

    def error_outputs(self) -> list[str]:
        """Error outputs and widget failures visible on the page."""
        texts = self.page.evaluate(
            """() => Array.from(document.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'))
                .map(e => e.textContent.slice(0, 300))"""  # noqa: E501  (verbatim text: its lines are what the code feeds on)
        )
        errors = [t for t in texts if "Traceback" in t or "Error" in t.split("\n")[0]]
        body = self.page.inner_text("body")
        if "Error displaying widget" in body:
            errors.append("Error displaying widget")
        return errors

    def widget_count(self) -> int:
        return self.page.locator(
            ".jupyter-widgets.widget-container, .jupyter-widgets.widget-inline-hbox, "
            ".widget-slider, .widget-image, .jupyter-widgets-output-area"
        ).count()

    def explorers(self):
        """The output areas that hold a widget with a slider (each explorer's main control)."""
        return self.page.locator(".jp-OutputArea:has(.widget-slider)")

    def move_slider(self, explorer, index: int = 0, presses: int = 1) -> None:
        handle = explorer.locator(".widget-slider .noUi-handle").nth(index)
        handle.focus()
        for _ in range(presses):
            handle.press("ArrowRight")

    def screenshot(self, locator, path: pathlib.Path | None = None) -> bytes:
        locator.scroll_into_view_if_needed()
        return locator.screenshot(path=str(path) if path else None, animations="disabled")

    def screenshot_change(
        self, locator, before: bytes, path: pathlib.Path, seconds: float = 8.0
    ) -> bytes:
        """The locator's screenshot once it differs from `before` (or after
        `seconds`), saved to `path`."""
        deadline = time.monotonic() + seconds
        while True:
            after = self.screenshot(locator)
            if after != before or time.monotonic() > deadline:
                path.write_bytes(after)
                return after
            self.page.wait_for_timeout(200)

    def save(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_timeout(500)

    def validate(self, timeout: float = 300) -> str:
        """Click nbgrader's Validate button; return the text of the dialog it opens."""
        self.page.locator(".validate-button").first.click()
        dialog = self.page.locator(".jp-Dialog-content")
        dialog.wait_for(timeout=timeout * 1000)
        self.page.wait_for_function(
            "() => !document.querySelector('.jp-Dialog-content').innerText.includes('Validating')",
            timeout=timeout * 1000,
        )
        return dialog.inner_text()

    def close(self) -> None:
        self.close_notebook()
        self.page.close()


_LATENCY_JS = """
async ([el, quiet]) => {
  const handle = el.querySelector('.widget-slider .noUi-handle');
  return await new Promise(resolve => {
    let t0 = null, last = null, timer = null;
    const finish = () => { obs.disconnect(); handle.removeEventListener('keydown', onKey, true);
                           resolve(last === null ? -1 : last - t0); };
    const onKey = () => { t0 = performance.now(); };
    handle.addEventListener('keydown', onKey, true);
    const obs = new MutationObserver(muts => {
      if (t0 === null) return;
      for (const m of muts) {
        const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
        if (!t || t.closest('.widget-slider') || t.closest('.widget-readout')) continue;
        last = performance.now();
        clearTimeout(timer);
        timer = setTimeout(finish, quiet);
        return;
      }
    });
    obs.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
    window.__aekitLatencyArmed = true;
    setTimeout(finish, 15000);
  });
}
"""


def slider_latencies(
    lab_page: LabPage, explorer, moves: int = 20, quiet_ms: int = 120
) -> list[float]:
    """Milliseconds from a key press on the explorer's first slider to the
    end of its redraw, per move."""
    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    out, key = [], "ArrowRight"
    for _ in range(moves):
        # turn at either end of the slider's range, so that every press moves it
        now, lo, hi = (
            float(handle.get_attribute(a) or 0)
            for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax")
        )
        key = "ArrowLeft" if now >= hi else "ArrowRight" if now <= lo else key
        promise_handle = explorer.evaluate_handle(
            "(el, args) => { window.__aekitLatency = (" + _LATENCY_JS + ")([el, args]); }", quiet_ms
        )
        promise_handle.dispose()
        handle.press(key)
        out.append(lab_page.page.evaluate("() => window.__aekitLatency"))
    return out

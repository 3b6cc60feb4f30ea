#!/bin/sh
# A plain start/stop script for the prisma-heroku sample on its production host: what the
# Procfile's `web: npm start` becomes without Heroku. Host tooling, not part of the app repo.
# No maintenance mode: the app serves (and takes writes) until it is stopped.
#
#   web.sh start|stop|restart|status APP_DIR RUN_DIR ENV_FILE
#
# start   runs `node src/index.js` in APP_DIR, detached in a session of its own, with PATH, HOME
#         and the KEY=VALUE lines of ENV_FILE only; output appended to RUN_DIR/web.log. Returns
#         once the process is spawned (the caller waits for the app to answer).
# stop    SIGTERM to the app's process group, up to 10 s, then SIGKILL. Not running: exit 0.
# status  prints `running (pid N)` and exits 0, or `stopped` and exits 3 (LSB).
set -eu

usage() {
  echo "usage: web.sh start|stop|restart|status APP_DIR RUN_DIR ENV_FILE" >&2
  exit 2
}
[ $# -eq 4 ] || usage
action=$1
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
app_dir=$(absolute "$2")
run_dir=$(absolute "$3")
env_file=$(absolute "$4")
pid_file=$run_dir/web.pid
log_file=$run_dir/web.log

log() {
  mkdir -p "$run_dir"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) web.sh: $*" >>"$log_file"
}

# Our app: alive, not a zombie nobody reaped, and still running src/index.js (not a recycled pid).
running() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'src/index.js'
}

read_pid() {
  cat "$pid_file" 2>/dev/null || true
}

start() {
  pid=$(read_pid)
  if running "$pid"; then
    echo "already running (pid $pid)"
    return
  fi
  [ -r "$env_file" ] || { echo "web.sh: cannot read $env_file" >&2; exit 1; }
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      '' | '#'* | [A-Za-z_]*=*) ;;
      *) echo "web.sh: $env_file: not a KEY=VALUE line" >&2; exit 1 ;;
    esac
  done <"$env_file"
  mkdir -p "$run_dir"
  cd "$app_dir"
  # Like a unit file's EnvironmentFile: PATH, HOME and the file's variables, taken literally (no
  # shell expansion), passed through the environment (never argv: the file holds the database password).
  env -i PATH="$PATH" HOME="${HOME:-/}" /bin/sh -c '
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in "" | "#"*) continue ;; esac
      export "$line"
    done <"$1"
    exec setsid node src/index.js' web.sh "$env_file" >>"$log_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"
  log "started pid $pid"
  echo "started (pid $pid)"
}

stop() {
  pid=$(read_pid)
  if ! running "$pid"; then
    rm -f "$pid_file"
    echo "stopped (was not running)"
    return
  fi
  kill -s TERM -- "-$pid" 2>/dev/null || kill -s TERM "$pid" 2>/dev/null || true
  i=0
  while running "$pid" && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if running "$pid"; then
    log "pid $pid still running 10 s after SIGTERM; sending SIGKILL"
    kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid" 2>/dev/null || true
    while running "$pid"; do sleep 0.05; done
  fi
  rm -f "$pid_file"
  log "stopped pid $pid"
  echo "stopped (pid $pid)"
}

case $action in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    pid=$(read_pid)
    if running "$pid"; then
      echo "running (pid $pid)"
      exit 0
    fi
    echo stopped
    exit 3
    ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# A real single-node SLURM for CI, without systemd: .ci/slurm.sh start | stop | status
#
#   start   installs slurmctld, slurmd, slurm-client and munge if missing (apt-get, needs root), starts munged
#           (as the munge user, socket in a private folder of mode 711), writes slurm.conf (node line from
#           `slurmd -C`, no cgroups, no accounting, immediate scheduling), starts slurmctld and slurmd, waits
#           until the node is idle, and prints `export SLURM_CONF=...` on stdout (everything else on stderr):
#               eval "$(bash .ci/slurm.sh start)"
#   stop    stops the three daemons by their PID files
#   status  sinfo and squeue
#
# Everything lives in $SLURM_CI_DIR (default /tmp/optimiser-slurm); $SLURM_CI_DIR/env holds the export line.
set -euo pipefail

DIR="${SLURM_CI_DIR:-/tmp/optimiser-slurm}"
CONF="$DIR/slurm.conf"
MUNGE_DIR="$DIR/munge"
SOCKET="$MUNGE_DIR/munge.socket.2"
TIMEOUT_S="${SLURM_CI_TIMEOUT_S:-60}"

log() { echo "slurm.sh: $*" >&2; }

install_if_missing() {
    local missing=()
    for command in slurmctld slurmd sbatch munged; do
        command -v "$command" >/dev/null 2>&1 || missing+=("$command")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing ${missing[*]} and not root: cannot install SLURM"
        return 1
    fi
    log "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >&2
}

pid_alive() {  # pid_alive PIDFILE
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pidfile() {  # stop_pidfile NAME PIDFILE
    local name="$1" file="$2" pid
    [ -s "$file" ] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name ($pid) did not stop; SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
        log "stopped $name ($pid)"
    fi
    rm -f "$file"
}

start_munge() {
    if pid_alive "$MUNGE_DIR/munged.pid"; then
        log "munged already running ($(cat "$MUNGE_DIR/munged.pid"))"
        return 0
    fi
    local key=/etc/munge/munge.key
    if [ ! -s "$key" ]; then
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$key" --force
        else
            dd if=/dev/urandom bs=1 count=1024 of="$key" status=none
        fi
    fi
    chown munge:munge "$key" /etc/munge
    chmod 0400 "$key"
    chmod 0700 /etc/munge
    mkdir -p "$MUNGE_DIR"
    chown munge:munge "$MUNGE_DIR"
    chmod 0711 "$MUNGE_DIR"
    rm -f "$SOCKET" "$SOCKET.lock"
    runuser -u munge -- munged --socket="$SOCKET" --key-file="$key" --pid-file="$MUNGE_DIR/munged.pid" \
        --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed"
    for _ in $(seq 1 50); do
        [ -S "$SOCKET" ] && break
        sleep 0.1
    done
    [ -S "$SOCKET" ] || { log "munged did not create $SOCKET"; cat "$MUNGE_DIR/munged.log" >&2 || true; return 1; }
    munge -n --socket="$SOCKET" | unmunge --socket="$SOCKET" >/dev/null
    log "munged running ($(cat "$MUNGE_DIR/munged.pid")), socket $SOCKET"
}

write_conf() {
    local host node
    host="$(hostname -s)"
    node="$(slurmd -C | head -n 1)"  # NodeName=<host> CPUs=... RealMemory=...
    mkdir -p "$DIR/state" "$DIR/spool"
    cat >"$CONF" <<EOF
# single-node SLURM for CI, written by .ci/slurm.sh
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
MaxArraySize=10001
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    install_if_missing
    mkdir -p "$DIR"
    chmod 0755 "$DIR"
    start_munge
    export SLURM_CONF="$CONF"
    if pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid"; then
        log "slurmctld and slurmd already running"
    else
        stop_pidfile slurmd "$DIR/slurmd.pid"
        stop_pidfile slurmctld "$DIR/slurmctld.pid"
        write_conf
        rm -rf "$DIR/state"/* "$DIR/spool"/*
        slurmctld -f "$CONF" -c
        slurmd -f "$CONF"
    fi
    local host state=""
    host="$(hostname -s)"
    for _ in $(seq 1 $((TIMEOUT_S * 5))); do
        if scontrol ping >/dev/null 2>&1; then
            state="$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1)"
            case "$state" in
                idle|mixed|allocated) break ;;
                down*|drain*|unknown*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
            esac
        fi
        sleep 0.2
    done
    case "$state" in
        idle|mixed|allocated) ;;
        *)
            log "node $host not ready (state '${state:-none}'); logs:"
            tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
            return 1 ;;
    esac
    echo "export SLURM_CONF=$CONF" >"$DIR/env"
    log "SLURM up: node $host $state, SLURM_CONF=$CONF"
    echo "export SLURM_CONF=$CONF"
}

stop() {
    stop_pidfile slurmd "$DIR/slurmd.pid"
    stop_pidfile slurmctld "$DIR/slurmctld.pid"
    stop_pidfile munged "$MUNGE_DIR/munged.pid"
}

status() {
    export SLURM_CONF="$CONF"
    sinfo >&2
    squeue >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/bin/sh
# The init of a user-mode-linux guest booted by tests/test_cgroup2_uml.py: the host's root read-only (hostfs),
# a cgroup v2 hierarchy, writable tmpfs where the grader writes. It puts itself in the cgroup place the test
# asks for, grades the class with `python -m autograder grade`, records what is left, and powers off.
#
# Its parameters come from the kernel command line (the kernel gives init each NAME=VALUE it does not know):
#   AEKIT_GUEST_OUT     host folder for the report (mounted read-write through hostfs), or
#   AEKIT_GUEST_OUT_TAG the 9p share that holds it (a virtual machine)
#   AEKIT_GUEST_CALL_TIMEOUT  `grade --call-timeout` (an emulated guest is many times slower than the host)
#   AEKIT_GUEST_CLASS   folder of the class (a VM sees the host's root at /host);  AEKIT_GUEST_PYTHON  the venv's python;  AEKIT_GUEST_TIMEOUT  seconds
#   AEKIT_GUEST_PLACE   where the grader runs:
#     root       in the root cgroup (a host's or VM's root)
#     delegated  in a cgroup of its own given memory, pids and cpu (what systemd-run -p Delegate=yes gives)
#     container  at the root of a cgroup namespace of its own, given memory, pids and cpu (a container)
#     nomemory   in a cgroup of its own given pids and cpu but not memory (must refuse)
#     killed     as root, but the grader is killed (kill -9) while a job's kernel runs
#     probe      only run the python, and report its exit status
#   AEKIT_GUEST_STAGE   set by this script when it runs itself again inside the container's namespaces
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
CG=/sys/fs/cgroup
REPORT=/tmp/host-out

grade() {
    cd /tmp || exit 1
    "$AEKIT_GUEST_PYTHON" -m autograder grade /run/class --out /tmp/out --notebooks 04 --workers 1 \
        --memory 1 --timeout "$AEKIT_GUEST_TIMEOUT" --call-timeout "$AEKIT_GUEST_CALL_TIMEOUT" >"$REPORT/grade.out" 2>"$REPORT/grade.err" &
    grader=$!
    if [ "$AEKIT_GUEST_PLACE" = killed ]; then  # kill -9 the grader once a job's kernel runs, then wait a little
        for i in $(seq 600); do
            # (cgroup files show size 0: read them)
            [ -n "$(find $CG -path '*aekit-*/kernel/cgroup.procs' -exec cat {} + 2>/dev/null)" ] && break
            sleep 1
        done
        kill -9 $grader
        echo "killed the grader after $i s"
        for i in $(seq 120); do  # its zygote's clean-up: up to 2 minutes in a (slow) emulated guest
            [ -z "$(find $CG -name 'aekit-[0-9]*')" ] && break
            sleep 1
        done
        echo "job cgroups gone after $i s"
    fi
    wait $grader
    echo $? >"$REPORT/rc"
    cp /tmp/out/*.csv "$REPORT/" 2>/dev/null
    # what is left: processes (but this shell, ps and init), aekit cgroups, the jobs' files
    ps -e -o pid=,user=,args= | grep -v -e ' ps -e' -e 'guest_init.sh' -e '\[' -e '^ *1 ' >"$REPORT/processes"
    find $CG -name 'aekit*' >"$REPORT/cgroups"
    for left in $(cat "$REPORT/cgroups"); do  # the kernel's word on each one left
        echo "left: $left: $(cat $left/cgroup.events | tr '\n' ' ') procs: $(cat $left/cgroup.procs | tr '\n' ' ')"
    done
    cat $CG/cgroup.subtree_control >"$REPORT/subtree_control"
    # (the grader's own private home, /run/aekit/home-0, is no job's and stays)
    { ls -A /run/aekit | grep '^aekit-'; ls -A /dev/shm; ls -A /tmp | grep -v -x -e out -e host-out; } \
        >"$REPORT/files" 2>/dev/null
    dmesg >"$REPORT/dmesg" 2>&1  # the kernel's word on what died (the out-of-memory killer)
}

if [ "$AEKIT_GUEST_STAGE" = container ]; then  # inside the cgroup namespace: the container's own view
    umount $CG && mount -t cgroup2 none $CG || exit 1
    grade
    exit 0
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q "^devtmpfs /dev " /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
if [ -n "$AEKIT_GUEST_CLASS" ]; then  # the class lives in the host's /tmp, which the guest's own /tmp covers
    mkdir /run/class && mount --bind "$AEKIT_GUEST_CLASS" /run/class
fi
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 none $CG
mkdir $REPORT
if [ -n "$AEKIT_GUEST_OUT_TAG" ]; then  # a virtual machine: the report folder is a 9p share
    mount -t 9p -o trans=virtio,version=9p2000.L "$AEKIT_GUEST_OUT_TAG" $REPORT
else  # user-mode-linux: a host folder through hostfs
    mount -t hostfs -o "$AEKIT_GUEST_OUT" hostfs $REPORT
fi
ip link set lo up
exec >"$REPORT/guest.log" 2>&1
echo "controllers: $(cat $CG/cgroup.controllers)"

case "$AEKIT_GUEST_PLACE" in
probe)  # can this guest run the grader's Python at all?
    "$AEKIT_GUEST_PYTHON" -c pass
    echo $? >"$REPORT/probe" ;;
root|killed)
    grade ;;
delegated|nomemory)
    if [ "$AEKIT_GUEST_PLACE" = delegated ]; then echo "+memory +pids +cpu"; else echo "+pids +cpu"; fi \
        >$CG/cgroup.subtree_control
    mkdir $CG/grader && echo $$ >$CG/grader/cgroup.procs
    grade
    find $CG/grader -mindepth 1 -type d >>"$REPORT/cgroups"
    [ -z "$(cat $CG/grader/cgroup.subtree_control)" ] || echo "controllers left on" >>"$REPORT/cgroups" ;;
container)
    echo "+memory +pids +cpu" >$CG/cgroup.subtree_control
    mkdir $CG/container && echo $$ >$CG/container/cgroup.procs
    AEKIT_GUEST_STAGE=container unshare --cgroup --mount --propagation private /bin/sh "$0"
    find $CG/container -mindepth 1 -type d >>"$REPORT/cgroups"
    [ -z "$(cat $CG/container/cgroup.subtree_control)" ] || echo "controllers left on" >>"$REPORT/cgroups" ;;
esac
echo "guest done"
sync
echo o >/proc/sysrq-trigger
sleep 5
"$AEKIT_GUEST_PYTHON" -c 'import ctypes; ctypes.CDLL(None).reboot(0x4321fedc)'  # RB_POWER_OFF

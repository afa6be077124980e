#!/bin/busybox sh
# The first stage of a QEMU guest of tests/test_cgroup2_uml.py: load the 9p modules (listed in load order in
# /modules/order), mount the host's root read-only from the 9p share "root" at /host, and build the guest's root
# as a tmpfs holding the host's system folders (bound from /host) and empty /proc, /sys, /dev, /run and /tmp of
# its own (the share shows the host's there, and mounts made over a 9p folder do not hold), then make
# AEKIT_GUEST_INIT init.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
for pass in 1 2; do  # a second pass loads what needed a module listed after it
    for m in $($bb cat /modules/order); do $bb insmod "/modules/$m" 2>/dev/null; done
done
$bb mkdir -p /host
$bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 root /host \
    || { echo "guest: cannot mount the host's root"; $bb poweroff -f; }
$bb mount -t tmpfs -o mode=0755 tmpfs /newroot
# and the top folder of the checkout (AEKIT_GUEST_TOP), wherever it is
for d in $($bb echo bin sbin lib lib32 lib64 libx32 usr etc opt var work srv home root "$AEKIT_GUEST_TOP" | $bb tr " " "\n" | $bb sort -u); do
    if [ -L "/host/$d" ]; then
        $bb ln -s "$($bb readlink "/host/$d")" "/newroot/$d"
    elif [ -d "/host/$d" ]; then
        $bb mkdir "/newroot/$d" && $bb mount -o bind "/host/$d" "/newroot/$d"
    fi
done
for d in proc sys dev run tmp host; do $bb mkdir "/newroot/$d"; done
$bb mount -o move /host /newroot/host
$bb umount /proc
$bb umount /dev
exec $bb switch_root /newroot "$AEKIT_GUEST_INIT"

#!/bin/busybox sh
# The first stage of a QEMU guest of tests/test_cgroup2_uml.py: load the 9p modules (listed in load order in
# /modules/order), mount the host's root read-only from the 9p share "root", and make AEKIT_GUEST_INIT init.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
for pass in 1 2; do  # a second pass loads what needed a module listed after it
    for m in $(/bin/busybox cat /modules/order); do /bin/busybox insmod "/modules/$m" 2>/dev/null; done
done
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 root /newroot \
    || { echo "guest: cannot mount the host's root"; /bin/busybox poweroff -f; }
# the guest's own /proc, /sys and /dev (the share shows the host's in their place; mounting there later fails)
/bin/busybox umount /proc
/bin/busybox umount /dev
/bin/busybox mount -t proc proc /newroot/proc
/bin/busybox mount -t sysfs sysfs /newroot/sys
/bin/busybox mount -t devtmpfs devtmpfs /newroot/dev
exec /bin/busybox switch_root /newroot "$AEKIT_GUEST_INIT"

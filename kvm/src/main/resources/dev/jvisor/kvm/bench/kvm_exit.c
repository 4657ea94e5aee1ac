/*
 * Reference for jvisor's KVM exit benchmark: the same real-mode guest loop
 * ("out dx, al; dec ecx; jnz") driven with raw ioctls, so the Java back end's
 * exit cost can be compared with C's on the same host.
 *
 * usage: kvm_exit <guest.bin> <exits>
 *   guest.bin  real-mode code, loaded and started at 0000:1000; it loops ECX
 *              times writing port 0x500, then writes port 0xf4 once
 * prints:    kvm-exit-c: <exits> exits, <total ns> ns
 *
 * The VM is set up like jvisor's (identity map and TSS pages, in-kernel
 * irqchip and PIT, 1 MiB of RAM) so only the exit path differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE   (1u << 20)
#define CODE_ADDR  0x1000u
#define LOOP_PORT  0x500
#define EXIT_PORT  0xf4

static void die(const char *what)
{
    fprintf(stderr, "kvm_exit: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int checked(int rc, const char *what)
{
    if (rc < 0)
        die(what);
    return rc;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs the guest from the start with ECX = count; returns the number of LOOP_PORT exits. */
static unsigned long long run_loop(int vcpu, struct kvm_run *run, uint32_t count)
{
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = CODE_ADDR;
    regs.rflags = 2;
    regs.rcx = count;
    checked(ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");

    unsigned long long exits = 0;
    for (;;) {
        checked(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "kvm_exit: unexpected exit reason %u\n", run->exit_reason);
            exit(1);
        }
        if (run->io.port == EXIT_PORT)
            return exits;
        exits++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <guest.bin> <exits>\n", argv[0]);
        return 2;
    }
    unsigned long long wanted = strtoull(argv[2], NULL, 10);
    if (wanted == 0 || wanted > 0xffffffffULL) {
        fprintf(stderr, "kvm_exit: exits must be 1..4294967295\n");
        return 2;
    }

    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap guest RAM");
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        die(argv[1]);
    size_t code_len = fread(ram + CODE_ADDR, 1, RAM_SIZE - CODE_ADDR, f);
    fclose(f);
    if (code_len == 0) {
        fprintf(stderr, "kvm_exit: empty guest code\n");
        return 1;
    }

    int kvm = checked(open("/dev/kvm", O_RDWR | O_CLOEXEC), "open /dev/kvm");
    int vm = checked(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
    uint64_t identity = 0xfeffc000;
    checked(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity), "KVM_SET_IDENTITY_MAP_ADDR");
    checked(ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000UL), "KVM_SET_TSS_ADDR");
    checked(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    checked(ioctl(vm, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE, .userspace_addr = (uintptr_t) ram,
    };
    checked(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");

    int vcpu = checked(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
    int run_size = checked(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    /* Real mode with every segment at 0, as jvisor's TinyGuest.realMode() starts it. */
    struct kvm_sregs sregs;
    checked(ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
    struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss };
    for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        segs[i]->selector = 0;
        segs[i]->base = 0;
    }
    checked(ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");

    uint32_t warmup = wanted / 10 < 10000 ? (uint32_t) (wanted / 10) + 1 : 10000;
    run_loop(vcpu, run, warmup);
    long long start = now_ns();
    unsigned long long exits = run_loop(vcpu, run, (uint32_t) wanted);
    long long elapsed = now_ns() - start;

    printf("kvm-exit-c: %llu exits, %lld ns\n", exits, elapsed);
    munmap(run, run_size);
    close(vcpu);
    close(vm);
    close(kvm);
    munmap(ram, RAM_SIZE);
    return 0;
}

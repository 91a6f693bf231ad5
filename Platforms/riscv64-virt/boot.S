/* riscv64-virt: entry from OpenSBI in S-mode, the trap vector and the way
 * into U-mode. OpenSBI enters the boot hart at _start with a0 = hart id and
 * a1 = the DTB; other harts start at secondary_entry through SBI HSM with
 * a0 = hart id and a1 = their logical core number. */

.section .text.boot, "ax"
.global _start
_start:
    /* One hart boots the kernel; any other hart that arrives here is most
     * likely a core the kernel is starting: as we read OpenSBI 1.1, its
     * hart_start marks the hart START_PENDING before it stores the start
     * address and argument, so a hart that leaves its wait in that window
     * (a wakeup on a loaded host) jumps to the cold boot's address, here,
     * with the DTB as its argument. Seen on loaded hosts: two harts ran
     * kernel_init (before the claim below); later, when such a hart gave
     * itself back with hart_stop, its core never started (the kernel's
     * hart_start had already returned success).
     * So the first to claim the boot goes on; any other waits for the start
     * request the kernel stores in memory (platform_start_core) before it
     * asks SBI, and enters as that core. The claim lives in .data: the
     * winner clears .bss, which a late loser would otherwise find zero again. */
    la      t1, boot_claimed
    li      t2, 1
    amoswap.w.aq t2, t2, (t1)
    bnez    t2, extra_boot_hart
    li      a1, 0                 /* the boot hart is logical core 0 */
    li      t0, 1
    j       common_entry

extra_boot_hart:
    mv      s0, a0                /* hart id */
    li      t1, 64
    bgeu    s0, t1, 3f
    la      t1, hart_start_request
    slli    t2, s0, 3
    add     t1, t1, t2
1:  ld      t3, 0(t1)
    bnez    t3, 2f
    j       1b
2:  fence   r, rw
    li      t4, -1                /* marks the request taken here (platform_secondary_main says so) */
    sd      t4, 0(t1)
    mv      a0, s0
    addi    a1, t3, -1
    j       secondary_entry
3:  wfi
    j       3b

.global secondary_entry
secondary_entry:
    li      t0, 0
common_entry:
    /* tp = logical core; the core's kernel stack: core 0's top + core * stride. */
    mv      tp, a1
    la      t1, __vanity_stack_top_core0
    la      t3, stack_stride
    ld      t2, 0(t3)
    mul     t2, t2, a1
    add     sp, t1, t2
    addi    sp, sp, -16           /* [top-8]: the core number, for traps from U */
    sd      a1, 8(sp)
    la      t1, trap_vector
    csrw    stvec, t1
    csrw    sscratch, zero        /* zero: a trap comes from the kernel */
    beqz    t0, 2f
    la      t1, __vanity_bss_start
    la      t2, __vanity_bss_end
0:  bgeu    t1, t2, 1f
    sd      zero, 0(t1)
    addi    t1, t1, 8
    j       0b
1:  call    platform_boot_main    /* a0 = boot hart id */
    j       .
2:  call    platform_secondary_main /* a0 = hart id, a1 = core */
    j       .

.section .data
.balign 8
.global hart_start_request
hart_start_request:               /* per hart id: core + 1, once the kernel starts it */
    .skip 8 * 64
.balign 4
boot_claimed:
    .word 0

.section .rodata
.balign 8
.global stack_stride
stack_stride:
    .dword __vanity_stack_stride  /* absolute: out of reach of a pc-relative la */

.text
/* void arch_enter_user(uint64_t entry, uint64_t user_sp, uint64_t kernel_sp)
 * Drops to U-mode at `entry` with interrupts enabled there and every other
 * register clear. */
.global arch_enter_user
arch_enter_user:
    csrw    sepc, a0
    csrw    sscratch, a2          /* the kernel stack for the next trap from U */
    mv      sp, a1
    li      t0, (1 << 8)          /* SPP: previous mode is U */
    csrc    sstatus, t0
    li      t0, (1 << 5)          /* SPIE: interrupts on after sret */
    csrs    sstatus, t0
    li      ra, 0
    li      gp, 0
    li      tp, 0
    li      t0, 0
    li      t1, 0
    li      t2, 0
    li      s0, 0
    li      s1, 0
    li      a0, 0
    li      a1, 0
    li      a2, 0
    li      a3, 0
    li      a4, 0
    li      a5, 0
    li      a6, 0
    li      a7, 0
    li      s2, 0
    li      s3, 0
    li      s4, 0
    li      s5, 0
    li      s6, 0
    li      s7, 0
    li      s8, 0
    li      s9, 0
    li      s10, 0
    li      s11, 0
    li      t3, 0
    li      t4, 0
    li      t5, 0
    li      t6, 0
    sret

/* The frame: x1..x31 at 8*(n-1) (x2 holds the interrupted sp), then sepc
 * and sstatus. The kernel keeps the logical core number in tp; a shard may
 * use tp freely, so a trap from U reloads it from the top of the core's
 * kernel stack, where boot left it (sscratch points 16 bytes below the top). */
#define FRAME 272
.balign 4
trap_vector:
    csrrw   sp, sscratch, sp      /* from U: sp = kernel stack, sscratch = user sp */
    bnez    sp, 1f
    csrrw   sp, sscratch, sp      /* from S: undo, stay on the kernel stack */
1:  addi    sp, sp, -FRAME
    sd      x1, 0(sp)
    sd      x3, 16(sp)
    sd      x4, 24(sp)
    sd      x5, 32(sp)
    sd      x6, 40(sp)
    sd      x7, 48(sp)
    sd      x8, 56(sp)
    sd      x9, 64(sp)
    sd      x10, 72(sp)
    sd      x11, 80(sp)
    sd      x12, 88(sp)
    sd      x13, 96(sp)
    sd      x14, 104(sp)
    sd      x15, 112(sp)
    sd      x16, 120(sp)
    sd      x17, 128(sp)
    sd      x18, 136(sp)
    sd      x19, 144(sp)
    sd      x20, 152(sp)
    sd      x21, 160(sp)
    sd      x22, 168(sp)
    sd      x23, 176(sp)
    sd      x24, 184(sp)
    sd      x25, 192(sp)
    sd      x26, 200(sp)
    sd      x27, 208(sp)
    sd      x28, 216(sp)
    sd      x29, 224(sp)
    sd      x30, 232(sp)
    sd      x31, 240(sp)
    csrr    t0, sepc
    sd      t0, 248(sp)
    csrr    t0, sstatus
    sd      t0, 256(sp)
    csrrw   t0, sscratch, zero    /* the interrupted sp (user sp, or 0 from S) */
    bnez    t0, 2f
    addi    t0, sp, FRAME         /* from S: the kernel sp before the frame */
    sd      t0, 8(sp)
    j       4f
2:  sd      t0, 8(sp)             /* from U: the user sp */
    ld      tp, (FRAME + 8)(sp)   /* the kernel's tp: this core's number */
4:  mv      a0, sp
    call    platform_trap
    /* Back: to U if SPP says so (sscratch = this kernel stack again). */
    ld      t0, 256(sp)
    csrw    sstatus, t0
    ld      t1, 248(sp)
    csrw    sepc, t1
    andi    t0, t0, (1 << 8)
    bnez    t0, 3f
    addi    t1, sp, FRAME
    csrw    sscratch, t1
3:  ld      x1, 0(sp)
    ld      x3, 16(sp)
    ld      x4, 24(sp)
    ld      x5, 32(sp)
    ld      x6, 40(sp)
    ld      x7, 48(sp)
    ld      x8, 56(sp)
    ld      x9, 64(sp)
    ld      x10, 72(sp)
    ld      x11, 80(sp)
    ld      x12, 88(sp)
    ld      x13, 96(sp)
    ld      x14, 104(sp)
    ld      x15, 112(sp)
    ld      x16, 120(sp)
    ld      x17, 128(sp)
    ld      x18, 136(sp)
    ld      x19, 144(sp)
    ld      x20, 152(sp)
    ld      x21, 160(sp)
    ld      x22, 168(sp)
    ld      x23, 176(sp)
    ld      x24, 184(sp)
    ld      x25, 192(sp)
    ld      x26, 200(sp)
    ld      x27, 208(sp)
    ld      x28, 216(sp)
    ld      x29, 224(sp)
    ld      x30, 232(sp)
    ld      x31, 240(sp)
    ld      x2, 8(sp)
    sret

/* void arch_switch(uint64_t *save, const uint64_t *load): shards sharing a
 * core (platform_switch). The callee-saved registers, ra and sp into
 * `save`, then from `load`; returns into the loaded context. tp (this
 * core's number) stays: the same core goes on. */
.macro SAVE_CALLEE
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      s0, 16(a0)
    sd      s1, 24(a0)
    sd      s2, 32(a0)
    sd      s3, 40(a0)
    sd      s4, 48(a0)
    sd      s5, 56(a0)
    sd      s6, 64(a0)
    sd      s7, 72(a0)
    sd      s8, 80(a0)
    sd      s9, 88(a0)
    sd      s10, 96(a0)
    sd      s11, 104(a0)
.endm

.global arch_switch
arch_switch:
    SAVE_CALLEE
    ld      ra, 0(a1)
    ld      sp, 8(a1)
    ld      s0, 16(a1)
    ld      s1, 24(a1)
    ld      s2, 32(a1)
    ld      s3, 40(a1)
    ld      s4, 48(a1)
    ld      s5, 56(a1)
    ld      s6, 64(a1)
    ld      s7, 72(a1)
    ld      s8, 80(a1)
    ld      s9, 88(a1)
    ld      s10, 96(a1)
    ld      s11, 104(a1)
    ret

/* void arch_switch_fresh(uint64_t *save, uint64_t kernel_sp, uint32_t context):
 * saves like arch_switch, then starts `context` on its own kernel stack. */
.global arch_switch_fresh
arch_switch_fresh:
    SAVE_CALLEE
    mv      sp, a1
    mv      a0, a2
    li      s0, 0
    call    kernel_context_start
1:  j       1b

/* aarch64-virt: entry, exception vectors and the way into EL0.
 * QEMU starts core 0 at _start at EL1 with the MMU off; other cores start at
 * secondary_entry through PSCI CPU_ON with x0 = their core number. */

.section .text.boot, "ax"
.global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    b       common_entry

.global secondary_entry
secondary_entry:
common_entry:
    /* The core's kernel stack: core 0's top plus core * stride. */
    ldr     x1, =__vanity_stack_top_core0
    ldr     x2, =__vanity_stack_stride
    madd    x1, x0, x2, x1
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    /* Shards may use FP/SIMD (Embedded Swift does); the kernel never does. */
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    cbnz    x0, 2f
    ldr     x1, =__vanity_bss_start
    ldr     x2, =__vanity_bss_end
0:  cmp     x1, x2
    b.hs    1f
    str     xzr, [x1], #8
    b       0b
1:  bl      platform_boot_main
    b       .
2:  bl      platform_secondary_main
    b       .

.text
/* void arch_enter_user(uint64_t entry, uint64_t user_sp, uint64_t kernel_sp)
 * Drops to EL0t at `entry` with interrupts enabled and every register clear. */
.global arch_enter_user
arch_enter_user:
    mov     sp, x2
    msr     elr_el1, x0
    msr     sp_el0, x1
    msr     spsr_el1, xzr
    mov     x0, #0
    mov     x1, #0
    mov     x2, #0
    mov     x3, #0
    mov     x4, #0
    mov     x5, #0
    mov     x6, #0
    mov     x7, #0
    mov     x8, #0
    mov     x9, #0
    mov     x10, #0
    mov     x11, #0
    mov     x12, #0
    mov     x13, #0
    mov     x14, #0
    mov     x15, #0
    mov     x16, #0
    mov     x17, #0
    mov     x18, #0
    mov     x19, #0
    mov     x20, #0
    mov     x21, #0
    mov     x22, #0
    mov     x23, #0
    mov     x24, #0
    mov     x25, #0
    mov     x26, #0
    mov     x27, #0
    mov     x28, #0
    mov     x29, #0
    mov     x30, #0
    eret

/* The frame every exception saves: x0..x30, sp_el0, elr_el1, spsr_el1. */
.macro SAVE
    sub     sp, sp, #288
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x21, sp_el0
    mrs     x22, elr_el1
    mrs     x23, spsr_el1
    stp     x30, x21, [sp, #240]
    stp     x22, x23, [sp, #256]
.endm

.macro RESTORE
    ldp     x22, x23, [sp, #256]
    ldp     x30, x21, [sp, #240]
    msr     sp_el0, x21
    msr     elr_el1, x22
    msr     spsr_el1, x23
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #288
    eret
.endm

.macro VECTOR handler
.balign 0x80
    b       \handler
.endm

.balign 2048
vectors:
    VECTOR  el1_sync        /* current EL, SP_EL0 */
    VECTOR  el1_irq
    VECTOR  el1_sync
    VECTOR  el1_sync
    VECTOR  el1_sync        /* current EL, SP_ELx */
    VECTOR  el1_irq
    VECTOR  el1_sync
    VECTOR  el1_sync
    VECTOR  el0_sync        /* lower EL, AArch64 */
    VECTOR  el0_irq
    VECTOR  el0_sync
    VECTOR  el0_sync
    VECTOR  el0_sync        /* lower EL, AArch32: never used */
    VECTOR  el0_sync
    VECTOR  el0_sync
    VECTOR  el0_sync

el0_sync:
    SAVE
    mov     x0, sp
    bl      platform_el0_sync
    RESTORE

el0_irq:
    SAVE
    mov     x0, sp
    bl      platform_el0_irq
    RESTORE

el1_sync:
    SAVE
    mov     x0, sp
    bl      platform_el1_sync
    RESTORE

el1_irq:
    SAVE
    mov     x0, sp
    bl      platform_el1_irq
    RESTORE

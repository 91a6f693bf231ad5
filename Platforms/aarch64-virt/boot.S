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

/* Shards sharing a core (platform_switch). The kernel never touches FP/SIMD
 * registers, so they hold the running shard's: saved and loaded here. */
.arch_extension fp
.arch_extension simd

/* void arch_fp_save(void *area), arch_fp_load(const void *area): q0..q31,
 * then fpcr and fpsr (528 bytes, 16-aligned). */
.global arch_fp_save
arch_fp_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x1, fpcr
    mrs     x2, fpsr
    add     x0, x0, #512
    stp     x1, x2, [x0]
    ret

.global arch_fp_load
arch_fp_load:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    add     x0, x0, #512
    ldp     x1, x2, [x0]
    msr     fpcr, x1
    msr     fpsr, x2
    ret

/* void arch_switch(uint64_t *save, const uint64_t *load): the callee-saved
 * registers and sp into `save`, then from `load`; returns into the loaded
 * context (where it last called arch_switch). */
.macro SAVE_CALLEE
    mov     x9, sp
    stp     x19, x20, [x0, #0]
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80]
    str     x9, [x0, #96]
.endm

.global arch_switch
arch_switch:
    SAVE_CALLEE
    ldp     x19, x20, [x1, #0]
    ldp     x21, x22, [x1, #16]
    ldp     x23, x24, [x1, #32]
    ldp     x25, x26, [x1, #48]
    ldp     x27, x28, [x1, #64]
    ldp     x29, x30, [x1, #80]
    ldr     x9, [x1, #96]
    mov     sp, x9
    ret

/* void arch_switch_fresh(uint64_t *save, uint64_t stack_top, uint32_t context):
 * saves like arch_switch, then starts `context` on its own kernel stack. */
.global arch_switch_fresh
arch_switch_fresh:
    SAVE_CALLEE
    mov     sp, x1
    mov     w0, w2
    mov     x29, #0
    bl      kernel_context_start
    b       .

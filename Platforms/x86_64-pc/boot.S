/* x86_64-pc: entry through the PVH note, the way into long mode, the
 * real-mode trampoline application processors start in, the interrupt and
 * system-call entries and the way into ring 3.
 *
 * QEMU (-kernel with a PVH note) enters the boot processor at _start in
 * 32-bit protected mode, paging off, with ebx = hvm_start_info (unused: the
 * layout knows the RAM). Application processors start in real mode at
 * TRAMPOLINE (INIT-SIPI-SIPI from platform.c), switch to protected mode there
 * and join the same path into long mode with their shard's page table. */
#include "x86.h"

/* The PVH entry note: name "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY), the
 * 32-bit physical entry address. The linker keeps it in a PT_NOTE segment. */
.section .note.pvh, "a", @note
.balign 4
    .long 4                       /* namesz */
    .long 4                       /* descsz */
    .long 18                      /* type */
    .asciz "Xen"
    .long _start

/* ------------------------------------------------------------ 32-bit entry */

.section .text.boot, "ax"
.code32
.global _start
_start:
    cli
    cld
    lgdt    boot_gdtr
    ljmp    $SEL_KCODE32, $1f
1:  mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    /* Clear .bss (QEMU zero-fills it; a reset may not). */
    mov     $__vanity_bss_start, %edi
    mov     $__vanity_bss_end, %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb
    /* Boot page tables: the first 4 GiB identity-mapped with 2 MiB pages,
     * supervisor only. platform_boot_main replaces them with the kernel's. */
    mov     $boot_pdpt, %eax
    or      $(PTE_P | PTE_W), %eax
    mov     %eax, boot_pml4
    mov     $boot_pd, %eax
    or      $(PTE_P | PTE_W), %eax
    xor     %ecx, %ecx
2:  mov     %eax, boot_pdpt(, %ecx, 8)
    add     $4096, %eax
    inc     %ecx
    cmp     $4, %ecx
    jne     2b
    mov     $(PTE_P | PTE_W | PTE_PS), %eax
    xor     %ecx, %ecx
3:  mov     %eax, boot_pd(, %ecx, 8)
    add     $0x200000, %eax
    inc     %ecx
    cmp     $2048, %ecx
    jne     3b
    mov     $boot_pml4, %eax
    xor     %ebx, %ebx            /* logical core 0 */
    jmp     enter_long

/* An application processor, from the trampoline: protected mode, paging off. */
ap_entry32:
    mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     ap_core, %ebx
    mov     ap_cr3, %eax

/* eax = the page table to start with, ebx = the logical core. */
enter_long:
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov     %eax, %cr4
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $(EFER_SCE | EFER_LME | EFER_NXE), %eax
    wrmsr
    mov     %cr0, %eax
    and     $~(CR0_EM | CR0_TS | CR0_CD | CR0_NW), %eax
    or      $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_AM | CR0_PG), %eax
    mov     %eax, %cr0
    ljmp    $SEL_KCODE, $long_entry

.code64
long_entry:
    mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    /* The core's kernel stack: core 0's top plus core * stride. */
    mov     %ebx, %edi
    mov     $__vanity_stack_stride, %rax
    imul    %rdi, %rax
    add     $__vanity_stack_top_core0, %rax
    mov     %rax, %rsp
    fninit
    test    %edi, %edi
    jnz     4f
    call    platform_boot_main
    jmp     .
4:  call    platform_secondary_main  /* edi = core */
    jmp     .

/* ------------------------------------------------------------ AP trampoline */

/* Copied to TRAMPOLINE (below 1 MiB) by platform.c; the SIPI vector is
 * TRAMPOLINE >> 12. Real mode, cs:ip = TRAMPOLINE>>4 : 0. */
.section .rodata
.code16
.global ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    cld
    xor     %ax, %ax
    mov     %ax, %ds
    lgdtl   TRAMPOLINE + (ap_gdtr - ap_trampoline)
    mov     %cr0, %eax
    or      $CR0_PE, %eax
    mov     %eax, %cr0
    ljmpl   $SEL_KCODE32, $ap_entry32
.balign 8
ap_gdtr:
    .word   boot_gdt_end - boot_gdt - 1
    .long   boot_gdt
ap_trampoline_end:
.code64

/* The GDT every core boots with (platform.c gives each core its own copy
 * with its TSS). Layout fixed by syscall/sysret: see x86.h. */
.balign 16
.global boot_gdt, boot_gdt_end
boot_gdt:
    .quad   0                     /* null */
    .quad   0x00af9a000000ffff    /* 0x08 kernel code, 64-bit */
    .quad   0x00cf92000000ffff    /* 0x10 kernel data */
    .quad   0x00cff2000000ffff    /* 0x18 user data (DPL 3) */
    .quad   0x00affa000000ffff    /* 0x20 user code, 64-bit (DPL 3) */
    .quad   0, 0                  /* 0x28 TSS (16 bytes), per core */
    .quad   0x00cf9a000000ffff    /* 0x38 kernel code, 32-bit (boot only) */
boot_gdt_end:
.balign 8
    .word   0
boot_gdtr:
    .word   boot_gdt_end - boot_gdt - 1
    .long   boot_gdt

/* ------------------------------------------------------------ boot data */

.section .bss
.balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
.balign 4
.global ap_core, ap_cr3
ap_core:   .skip 4            /* mailbox for the AP being started */
ap_cr3:    .skip 4

/* ------------------------------------------------------------ ring 3 */

.text
/* void arch_enter_user(uint64_t entry, uint64_t user_sp)
 * Drops to ring 3 at `entry` with interrupts enabled there and every
 * register (general, x87 and SSE) clear. */
.global arch_enter_user
arch_enter_user:
    fninit
    pxor    %xmm0, %xmm0
    pxor    %xmm1, %xmm1
    pxor    %xmm2, %xmm2
    pxor    %xmm3, %xmm3
    pxor    %xmm4, %xmm4
    pxor    %xmm5, %xmm5
    pxor    %xmm6, %xmm6
    pxor    %xmm7, %xmm7
    pxor    %xmm8, %xmm8
    pxor    %xmm9, %xmm9
    pxor    %xmm10, %xmm10
    pxor    %xmm11, %xmm11
    pxor    %xmm12, %xmm12
    pxor    %xmm13, %xmm13
    pxor    %xmm14, %xmm14
    pxor    %xmm15, %xmm15
    pushq   $(SEL_UDATA | 3)      /* ss */
    pushq   %rsi                  /* rsp */
    pushq   $RFLAGS_USER          /* rflags: IF */
    pushq   $(SEL_UCODE | 3)      /* cs */
    pushq   %rdi                  /* rip */
    xor     %eax, %eax
    xor     %ebx, %ebx
    xor     %ecx, %ecx
    xor     %edx, %edx
    xor     %esi, %esi
    xor     %edi, %edi
    xor     %ebp, %ebp
    xor     %r8d, %r8d
    xor     %r9d, %r9d
    xor     %r10d, %r10d
    xor     %r11d, %r11d
    xor     %r12d, %r12d
    xor     %r13d, %r13d
    xor     %r14d, %r14d
    xor     %r15d, %r15d
    swapgs                        /* the shard's (zero) GS base */
    iretq

/* The frame (struct frame in platform.c): r15 .. rax, vector, error code,
 * then what the CPU pushes: rip, cs, rflags, rsp, ss. */
.macro PUSH_REGS
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
.endm

.macro POP_REGS
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
.endm

/* syscall from ring 3: rcx = return rip, r11 = rflags, rsp still the
 * shard's; SFMASK cleared IF. The per-core block (GS) holds the kernel
 * stack. Returns with sysret. */
.global syscall_entry
syscall_entry:
    swapgs
    mov     %rsp, %gs:PERCPU_USER_RSP
    mov     %gs:PERCPU_KERNEL_RSP, %rsp
    pushq   $(SEL_UDATA | 3)      /* ss */
    pushq   %gs:PERCPU_USER_RSP   /* rsp */
    push    %r11                  /* rflags */
    pushq   $(SEL_UCODE | 3)      /* cs */
    push    %rcx                  /* rip */
    pushq   $0                    /* error code */
    pushq   $VEC_SYSCALL
    PUSH_REGS
    mov     %rsp, %rdi
    call    platform_syscall
    POP_REGS
    mov     16(%rsp), %rcx        /* rip */
    mov     32(%rsp), %r11        /* rflags */
    mov     40(%rsp), %rsp        /* the shard's stack */
    swapgs
    sysretq

/* Interrupt and exception stubs: 16 bytes each, stub n at isr_stubs + 16n.
 * Each pushes a zero error code where the CPU pushes none, then its vector. */
.balign 16
.global isr_stubs
isr_stubs:
.set vec, 0
.rept 256
.balign 16
.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    /* the CPU pushed an error code */
.else
    pushq   $0
.endif
    pushq   $vec
    jmp     isr_common
.set vec, vec + 1
.endr

isr_common:
    testb   $3, 24(%rsp)          /* cs: from ring 3? */
    jz      1f
    swapgs
1:  PUSH_REGS
    mov     %rsp, %rdi
    call    platform_trap
    POP_REGS
    testb   $3, 24(%rsp)
    jz      2f
    swapgs
2:  add     $16, %rsp             /* vector, error code */
    iretq

.macro PUSH_CALLEE_SAVE_RSP
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, (%rdi)
.endm

/* void arch_switch(uint64_t *save_rsp, const uint64_t *load_rsp): shards
 * sharing a core (platform_switch). Pushes the callee-saved registers,
 * stores rsp in *save_rsp, takes the loaded context's rsp and pops its own;
 * returns into that context. */
.global arch_switch
arch_switch:
    PUSH_CALLEE_SAVE_RSP
    mov     (%rsi), %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret

/* void arch_switch_fresh(uint64_t *save_rsp, uint64_t stack_top, uint32_t context):
 * saves like arch_switch, then starts `context` on its own kernel stack. */
.global arch_switch_fresh
arch_switch_fresh:
    PUSH_CALLEE_SAVE_RSP
    mov     %rsi, %rsp
    mov     %edx, %edi
    xor     %ebp, %ebp
    call    kernel_context_start
    ud2

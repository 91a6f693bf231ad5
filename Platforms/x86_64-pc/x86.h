/* x86_64-pc: constants shared by boot.S and platform.c. */
#ifndef VANITY_X86_H
#define VANITY_X86_H

/* GDT selectors. syscall loads CS = STAR[47:32] (kernel code) and SS = +8;
 * sysret loads SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16, both RPL 3:
 * hence kernel code, kernel data, user data, user code in this order. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28
#define SEL_KCODE32 0x38
#define GDT_ENTRIES 8

/* Where application processors start (real mode, below 1 MiB): SIPI vector 8. */
#define TRAMPOLINE 0x8000

/* Interrupt vectors. */
#define VEC_IOAPIC 0x30   /* + I/O APIC pin (24 pins) */
#define VEC_TIMER 0xf0    /* local APIC timer: idle deadlines */
#define VEC_KICK 0xf1     /* platform_kick_core */
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL 0x100 /* not a vector: marks a syscall frame */

/* The per-core block GS points at in the kernel (struct percpu). */
#define PERCPU_KERNEL_RSP 0
#define PERCPU_USER_RSP 8

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_AM (1 << 18)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)

#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_SMEP (1 << 20)

#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define PTE_P (1 << 0)
#define PTE_W (1 << 1)
#define PTE_U (1 << 2)
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4)
#define PTE_PS (1 << 7)

#define RFLAGS_USER 0x202 /* IF and the always-one bit */

#endif

/* mastering: every kernel of orc/mst-orc.orc, compiled by ORC's JIT as the
 * plugin compiles it at run time, called with the callee-saved registers
 * of the x86-64 System V ABI (rbx, rbp, r12 to r15) holding known values,
 * which must come back unchanged, and the stack pointer too.
 *
 * Debian's liborc 0.4.33 emitted, for kernels with many arrays, a
 * prologue that pushes rsp and rbp where it should push r12 and r13 (the
 * REX prefix left out): the kernel then destroys two registers of its
 * caller, which a release build survived by luck of register allocation
 * and an ASan build did not. orcc --test cannot see this: it compares
 * results only. A kernel ORC cannot compile (it then runs its backup C) is
 * reported, not failed.
 *
 * Usage: test-orc-abi FILE.orc */
#include "mst-test.h"

#include <orc/orc.h>
#include <orc/orcparse.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_FRAMES 263            /* odd: the JIT's head, body and tail */
#define N_SAVED 6               /* rbx, rbp, r12, r13, r14, r15 */

#if defined(__x86_64__) && defined(__ELF__)
/* abi_call (fn, arg): loads the canaries into the callee-saved registers,
 * calls fn (arg), stores what they hold afterwards in abi_after[0 .. 5]
 * and the stack pointer's change in abi_after[6], then restores the
 * caller's registers and stack. */
extern void abi_call (void (*fn) (void *), void *arg);
extern uint64_t abi_after[N_SAVED + 1];
static const uint64_t canary[N_SAVED] = {
  0x1111111111111111u, 0x2222222222222222u, 0x3333333333333333u,
  0x4444444444444444u, 0x5555555555555555u, 0x6666666666666666u,
};
static const char *const saved_name[N_SAVED] =
    { "rbx", "rbp", "r12", "r13", "r14", "r15" };

__asm__ (
    ".text\n"
    ".globl abi_call\n"
    ".type abi_call, @function\n"
    "abi_call:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n"
    "  push %r15\n"
    "  sub $8, %rsp\n"      /* 16-byte aligned at the call */
    "  mov %rsp, abi_rsp(%rip)\n"
    "  mov %rdi, %rax\n  mov %rsi, %rdi\n"
    "  movabs $0x1111111111111111, %rbx\n"
    "  movabs $0x2222222222222222, %rbp\n"
    "  movabs $0x3333333333333333, %r12\n"
    "  movabs $0x4444444444444444, %r13\n"
    "  movabs $0x5555555555555555, %r14\n"
    "  movabs $0x6666666666666666, %r15\n"
    "  call *%rax\n"
    "  mov %rbx, abi_after+0(%rip)\n"
    "  mov %rbp, abi_after+8(%rip)\n"
    "  mov %r12, abi_after+16(%rip)\n"
    "  mov %r13, abi_after+24(%rip)\n"
    "  mov %r14, abi_after+32(%rip)\n"
    "  mov %r15, abi_after+40(%rip)\n"
    "  mov %rsp, %rax\n  sub abi_rsp(%rip), %rax\n"
    "  mov %rax, abi_after+48(%rip)\n"
    "  mov abi_rsp(%rip), %rsp\n"
    "  add $8, %rsp\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n"
    ".size abi_call, .-abi_call\n"
    ".bss\n"
    ".p2align 3\n"
    "abi_rsp: .zero 8\n"
    ".globl abi_after\n"
    "abi_after: .zero 56\n"
    ".text\n");
#define HAVE_ABI_CALL 1
#endif

static char *
read_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  char *text = NULL;
  long len;

  if (!f)
    return NULL;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0
      && fseek (f, 0, SEEK_SET) == 0 && (text = calloc (1, len + 1))
      && fread (text, 1, len, f) != (size_t) len) {
    free (text);
    text = NULL;
  }
  fclose (f);
  return text;
}

#ifdef HAVE_ABI_CALL
/* One kernel on N_FRAMES of small finite values (every array 0.25f as
 * floats, the same bits read as integers or doubles: finite either way). */
static void
check_kernel (OrcProgram * p)
{
  const char *name = orc_program_get_name (p);
  void *arrays[ORC_N_VARIABLES] = { 0 };
  OrcExecutor *ex;

  if (!ORC_COMPILE_RESULT_IS_SUCCESSFUL (orc_program_compile (p))) {
    printf ("# %s: not compiled by ORC here (it runs its backup C)\n", name);
    return;
  }
  ex = orc_executor_new (p);
  orc_executor_set_n (ex, N_FRAMES);
  for (int v = 0; v < ORC_N_VARIABLES; v++) {
    OrcVariable *var = &p->vars[v];
    if (!var->name)
      continue;
    if (var->vartype == ORC_VAR_TYPE_SRC || var->vartype == ORC_VAR_TYPE_DEST) {
      size_t n = (size_t) N_FRAMES * var->size / sizeof (float);
      float *a = malloc (n * sizeof (float));
      for (size_t i = 0; i < n; i++)
        a[i] = 0.25f;
      arrays[v] = a;
      orc_executor_set_array (ex, v, a);
    } else if (var->vartype == ORC_VAR_TYPE_PARAM) {
      if (var->param_type == ORC_PARAM_TYPE_FLOAT)
        orc_executor_set_param_float (ex, v, 0.5f);
      else if (var->param_type == ORC_PARAM_TYPE_DOUBLE)
        orc_executor_set_param_double (ex, v, 0.5);
      else
        orc_executor_set_param (ex, v, 1);
    }
  }

  abi_call ((void (*)(void *)) p->code_exec, ex);
  for (int r = 0; r < N_SAVED; r++)
    MST_CHECK_MSG (abi_after[r] == canary[r],
        "%s destroys the caller's %s (0x%016llx after the call)", name,
        saved_name[r], (unsigned long long) abi_after[r]);
  MST_CHECK_MSG (abi_after[N_SAVED] == 0,
      "%s moves the stack pointer by %lld bytes", name,
      (long long) abi_after[N_SAVED]);
  printf ("# %s: callee-saved registers checked\n", name);

  for (int v = 0; v < ORC_N_VARIABLES; v++)
    free (arrays[v]);
  orc_executor_free (ex);
}
#endif

int
main (int argc, char **argv)
{
  OrcProgram **programs = NULL;
  char *text, *log = NULL;
  int n;

  if (argc != 2 || !(text = read_file (argv[1]))) {
    fprintf (stderr, "usage: test-orc-abi FILE.orc (a readable file)\n");
    return 1;
  }
#ifndef HAVE_ABI_CALL
  printf ("# the callee-saved registers are checked on x86-64 only\n");
  return 77;
#else
  orc_init ();
  n = orc_parse_full (text, &programs, &log);
  /* Every kernel its own case, so each miscompiled one is named. */
  for (int i = 0; i < n; i++) {
    mst_test_current_failed = 0;
    check_kernel (programs[i]);
    if (mst_test_current_failed) {
      mst_test_failed++;
      printf ("FAIL %s\n", orc_program_get_name (programs[i]));
    } else {
      mst_test_passed++;
      printf ("ok   %s\n", orc_program_get_name (programs[i]));
    }
  }
  if (n == 0) {
    fprintf (stderr, "no kernel parsed from %s: %s\n", argv[1],
        log ? log : "");
    mst_test_failed++;
  }
  for (int i = 0; i < n; i++)
    orc_program_free (programs[i]);
  free (programs);
  free (log);
  free (text);
  return mst_test_summary ();
#endif
}

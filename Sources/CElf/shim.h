#ifndef VANITY_CELF_SHIM_H
#define VANITY_CELF_SHIM_H
#include <libelf.h>
#include <gelf.h>
#endif

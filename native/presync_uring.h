/*
 * jextract input for Presync's liburing bindings (package io.presync.ffi.liburing).
 *
 * Targets liburing 2.3 as shipped by Debian 12 (liburing-dev 2.3-3). Only the symbols listed in
 * liburing.symbols are generated; scripts/jextract-bindings regenerates them.
 *
 * LIBURING_INTERNAL: in liburing 2.3 io_uring_get_sqe is a static inline in the public header, but
 * liburing.so.2 also exports it (nm -D shows "T io_uring_get_sqe@@LIBURING_2.0"). Defining
 * LIBURING_INTERNAL before the include selects the plain extern declaration, the only form jextract
 * can bind; the header guards nothing else with it. Presync fills SQEs from Java and calls this only
 * in tests, to cross-check the Java SQ bookkeeping against liburing's own.
 */
#define LIBURING_INTERNAL 1
#include <liburing.h>

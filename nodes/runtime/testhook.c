/*
 * testhook.c — the test seams' storage (testhook.h): all off.
 */
#include "runtime/testhook.h"

crn_test_hooks crn_hooks;

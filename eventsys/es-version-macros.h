/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib.h>

#include "es-version.h"

#ifndef _ES_EXTERN
# define _ES_EXTERN __attribute__((visibility("default"))) extern
#endif

/* Every public symbol carries one of these so the library can be built with
 * -fvisibility=hidden and still export exactly its API. */
#define ES_AVAILABLE_IN_ALL _ES_EXTERN
#define ES_AVAILABLE_IN_1_0 _ES_EXTERN

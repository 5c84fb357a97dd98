/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

#define __EVENTSYS_INSIDE__
# include "es-version.h"
# include "es-version-macros.h"
# include "es-types.h"
# include "es-enum-types.h"
# include "es-error.h"
# include "es-event-type.h"
# include "es-event.h"
# include "es-buffer-manager.h"
# include "es-event-system.h"
# include "es-publisher.h"
# include "es-subscriber.h"
# include "es-builder.h"
# include "es-static-event-system.h"
# include "es-static-publisher.h"
# include "es-static-subscriber.h"
# include "es-zero-copy-event-system.h"
# include "es-zero-copy-publisher.h"
# include "es-zero-copy-subscriber.h"
# include "es-metrics.h"
# include "es-exporter.h"
# include "es-http.h"
#undef __EVENTSYS_INSIDE__

/* events.h - /1.0/events: operation events pushed to WebSocket listeners, as LXD's clients
 * expect to follow their operations. */
#pragma once

#include <jansson.h>

/* Send {"type":type,"timestamp":...,"metadata":metadata,...} to every listener (takes md). */
void events_publish(const char *type, json_t *metadata);

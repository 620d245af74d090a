/* trash.h - the background emptying of the instances' trash (see trash.c). */
#pragma once

#include "celld.h"
#include "error.h"

/* Start the thread; it empties what is already there first. */
int trash_start(struct celld *d, struct cell_error **err);
/* Something was put in the trash: empty it soon. */
void trash_kick(void);
/* Block until the trash has been emptied of everything put there so far. */
void trash_wait(void);
/* Finish emptying, then end the thread (celld's shutdown). */
void trash_stop(void);

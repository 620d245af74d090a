/* proc-uptime.c - /proc/uptime counted from the start of the reader's pid-namespace init. */
#include "viewfs.h"

int render_uptime(double uptime, double idle, struct vbuf *out)
{
	if (uptime < 0)
		uptime = 0;
	if (idle < 0)
		idle = 0;
	return vbuf_printf(out, "%.2f %.2f\n", uptime, idle);
}

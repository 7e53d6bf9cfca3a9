/* libFuzzer: ASL definitions through the validator, the compiler, and a short
 * run (virtual clock, small limits) of whatever compiles. */
#include "flow/flow.h"

#include <stdint.h>
#include <stdlib.h>

static int answer(fg_flow_task *t, void *ud)
{
    (void)ud;
    fg_flow_task_succeed(t, (json_t *)fg_flow_task_parameters(t));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *def = json_loadb((const char *)data, size, 0, &je);
    if (!def)
        return 0;
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", answer, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, reg, NULL, &eb);
    if (m) {
        int64_t now = 1700000000000;
        fg_flow_clock c;
        fg_flow_clock_virtual(&c, &now);
        fg_flow_limits lim;
        fg_flow_limits_default(&lim);
        lim.max_transitions = 200;
        lim.max_map_items = 50;
        json_t *in = json_pack("{s:[i,i],s:s}", "items", 1, 2, "s", "x");
        fg_flow_exec_opts o = {.clock = &c, .limits = &lim, .history = true};
        fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
        if (e)
            fg_flow_exec_run(e);
        fg_flow_exec_free(e);
        json_decref(in);
    }
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
    json_decref(def);
    return 0;
}

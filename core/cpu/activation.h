/* CPU kernels for pointwise activations. All arrays hold n floats; backward kernels add into dx
 * (relu's: or, with store, write dx = value + 0.0f, for a fresh gradient from ak_grad_of_fresh: the
 * bits that adding into zeros gives). */
#ifndef AK_CPU_ACTIVATION_H
#define AK_CPU_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>

void ak_cpu_relu_fwd(float *y, const float *x, int64_t n);
void ak_cpu_relu_bwd(float *dx, const float *dy, const float *y, int64_t n, bool store);
void ak_cpu_sigmoid_fwd(float *y, const float *x, int64_t n);
void ak_cpu_sigmoid_bwd(float *dx, const float *dy, const float *y, int64_t n);

#endif

/* Element types and dot products: F32, F16, Q8_0 and Q4_0 rows against an f32
 * or Q8_0-quantised vector, block by block (whole tensors are never decoded).
 * AVX2 versions are chosen at run time when the CPU has AVX2, FMA and F16C;
 * the portable versions are the reference. */
#include "infer/infer_int.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define FG_HAVE_X86 1
#endif

const char *fg__type_name(int type)
{
    switch (type) {
    case FG__T_F32: return "F32";
    case FG__T_F16: return "F16";
    case FG__T_Q4_0: return "Q4_0";
    case FG__T_Q8_0: return "Q8_0";
    case FG__T_BF16: return "BF16";
    default: return NULL;
    }
}

int fg__type_row_bytes(int type, uint64_t n, uint64_t *bytes)
{
    switch (type) {
    case FG__T_F32: *bytes = n * 4; break;
    case FG__T_F16:
    case FG__T_BF16: *bytes = n * 2; break;
    case FG__T_Q8_0:
        if (n % FG__QK)
            return FG_EINVAL;
        *bytes = n / FG__QK * sizeof(fg__block_q8_0);
        break;
    case FG__T_Q4_0:
        if (n % FG__QK)
            return FG_EINVAL;
        *bytes = n / FG__QK * sizeof(fg__block_q4_0);
        break;
    default: return FG_EUNSUPPORTED;
    }
    return FG_OK;
}

float fg__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else { /* subnormal: value is man * 2^-24 */
        float f = (float)man * 0x1p-24f;
        return sign ? -f : f;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float fg__bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t fg__f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf, nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: inf */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000u) { /* below 2^-14: subnormal, round to nearest even */
        float a;
        memcpy(&a, &absx, 4);
        return (uint16_t)(sign | (uint16_t)lrintf(a * 0x1p24f));
    }
    uint32_t mant = absx & 0x7fffff, exp = (absx >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13), rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

/* Rounds to nearest (even on ties) without a libm call: adding 1.5 * 2^23
 * leaves the integer in the low mantissa bits. Valid for |v| < 2^22. */
static inline int round_fast(float v)
{
    const float m = 12582912.0f;
    return (int)((v + m) - m);
}

/* v clamped to [lo, hi], NaN to 0: a model with broken weights must not
 * reach an undefined float-to-int conversion. */
static inline float clampf(float v, float lo, float hi)
{
    return v >= lo ? (v <= hi ? v : hi) : (v < lo ? lo : 0.0f);
}

void fg__quantize_q8_0(const float *x, fg__block_q8_0 *out, size_t n)
{
    for (size_t b = 0; b < n / FG__QK; b++) {
        const float *v = x + b * FG__QK;
        float amax = 0;
        for (int i = 0; i < FG__QK; i++)
            amax = fmaxf(amax, fabsf(v[i]));
        float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0;
        out[b].d = fg__f32_to_f16(d);
        for (int i = 0; i < FG__QK; i++)
            out[b].qs[i] = (int8_t)round_fast(clampf(v[i] * id, -127.0f, 127.0f));
    }
}

void fg__quantize_q4_0(const float *x, fg__block_q4_0 *out, size_t n)
{
    for (size_t b = 0; b < n / FG__QK; b++) {
        const float *v = x + b * FG__QK;
        float amax = 0, max = 0;
        for (int i = 0; i < FG__QK; i++)
            if (fabsf(v[i]) > amax) {
                amax = fabsf(v[i]);
                max = v[i];
            }
        float d = max / -8.0f, id = d != 0 ? 1.0f / d : 0;
        out[b].d = fg__f32_to_f16(d);
        for (int i = 0; i < FG__QK / 2; i++) {
            int lo = (int)clampf(v[i] * id + 8.5f, 0.0f, 15.0f);
            int hi = (int)clampf(v[i + 16] * id + 8.5f, 0.0f, 15.0f);
            out[b].qs[i] = (uint8_t)(lo | hi << 4);
        }
    }
}

/* ---- portable versions ---- */

static float dot_f32_c(const float *a, const float *b, size_t n)
{
    float s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static float dot_f16_c(const uint16_t *w, const float *x, size_t n)
{
    float s = 0;
    for (size_t i = 0; i < n; i++)
        s += fg__f16_to_f32(w[i]) * x[i];
    return s;
}

static float dot_bf16_c(const uint16_t *w, const float *x, size_t n)
{
    float s = 0;
    for (size_t i = 0; i < n; i++)
        s += fg__bf16_to_f32(w[i]) * x[i];
    return s;
}

static float dot_q8_0_c(const fg__block_q8_0 *w, const fg__block_q8_0 *x, size_t n)
{
    float s = 0;
    for (size_t b = 0; b < n / FG__QK; b++) {
        int32_t acc = 0;
        for (int i = 0; i < FG__QK; i++)
            acc += (int32_t)w[b].qs[i] * x[b].qs[i];
        s += (float)acc * fg__f16_to_f32(w[b].d) * fg__f16_to_f32(x[b].d);
    }
    return s;
}

static float dot_q4_0_c(const fg__block_q4_0 *w, const fg__block_q8_0 *x, size_t n)
{
    float s = 0;
    for (size_t b = 0; b < n / FG__QK; b++) {
        int32_t acc = 0;
        for (int i = 0; i < FG__QK / 2; i++) {
            acc += ((w[b].qs[i] & 0xf) - 8) * x[b].qs[i];
            acc += ((w[b].qs[i] >> 4) - 8) * x[b].qs[i + 16];
        }
        s += (float)acc * fg__f16_to_f32(w[b].d) * fg__f16_to_f32(x[b].d);
    }
    return s;
}

/* ---- AVX2 versions ---- */
#ifdef FG_HAVE_X86
#define FG_AVX2 __attribute__((target("avx2,fma,f16c")))

FG_AVX2 static float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

FG_AVX2 static float dot_f32_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

FG_AVX2 static float dot_f16_avx2(const uint16_t *w, const float *x, size_t n)
{
    __m256 s0 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wf = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i)));
        s0 = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + i), s0);
    }
    float s = hsum256(s0);
    for (; i < n; i++)
        s += fg__f16_to_f32(w[i]) * x[i];
    return s;
}

FG_AVX2 static float dot_bf16_avx2(const uint16_t *w, const float *x, size_t n)
{
    __m256 s0 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i)));
        __m256 wf = _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
        s0 = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + i), s0);
    }
    float s = hsum256(s0);
    for (; i < n; i++)
        s += fg__bf16_to_f32(w[i]) * x[i];
    return s;
}

/* Sum of 32 signed byte products as 8 floats. */
FG_AVX2 static __m256 mul_i8(__m256i w, __m256i x)
{
    __m256i ax = _mm256_sign_epi8(w, w), sx = _mm256_sign_epi8(x, w);
    __m256i p16 = _mm256_maddubs_epi16(ax, sx);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

FG_AVX2 static float scale_of(uint16_t a, uint16_t b)
{
    return _cvtsh_ss(a) * _cvtsh_ss(b);
}

FG_AVX2 static float dot_q8_0_avx2(const fg__block_q8_0 *w, const fg__block_q8_0 *x, size_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t nb = n / FG__QK, b = 0;
    for (; b + 2 <= nb; b += 2) {
        __m256 p0 = mul_i8(_mm256_loadu_si256((const __m256i *)w[b].qs),
                           _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256 p1 = mul_i8(_mm256_loadu_si256((const __m256i *)w[b + 1].qs),
                           _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b].d, x[b].d)), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b + 1].d, x[b + 1].d)), p1, acc1);
    }
    for (; b < nb; b++) {
        __m256 p0 = mul_i8(_mm256_loadu_si256((const __m256i *)w[b].qs),
                           _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b].d, x[b].d)), p0, acc0);
    }
    return hsum256(_mm256_add_ps(acc0, acc1));
}

/* The 32 weights of a Q4_0 block as signed bytes: low nibbles are elements
 * 0..15, high nibbles 16..31, each minus 8. */
FG_AVX2 static __m256i unpack_q4(const uint8_t *qs)
{
    const __m128i low = _mm_set1_epi8(0xf), eight = _mm_set1_epi8(8);
    __m128i q = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_sub_epi8(_mm_and_si128(q, low), eight);
    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), low), eight);
    return _mm256_set_m128i(hi, lo);
}

FG_AVX2 static float dot_q4_0_avx2(const fg__block_q4_0 *w, const fg__block_q8_0 *x, size_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t nb = n / FG__QK, b = 0;
    for (; b + 2 <= nb; b += 2) {
        __m256 p0 = mul_i8(unpack_q4(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256 p1 = mul_i8(unpack_q4(w[b + 1].qs),
                           _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b].d, x[b].d)), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b + 1].d, x[b + 1].d)), p1, acc1);
    }
    for (; b < nb; b++) {
        __m256 p0 = mul_i8(unpack_q4(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w[b].d, x[b].d)), p0, acc0);
    }
    return hsum256(_mm256_add_ps(acc0, acc1));
}
#endif

/* 0: not checked yet, 1: portable, 2: AVX2. */
static atomic_int simd_level;

static int level(void)
{
    int l = atomic_load_explicit(&simd_level, memory_order_relaxed);
    if (l)
        return l;
    l = 1;
#ifdef FG_HAVE_X86
    unsigned a, b, c, d;
    bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c)
        l = 2;
#endif
    atomic_store_explicit(&simd_level, l, memory_order_relaxed);
    return l;
}

void fg__simd_enable(bool on)
{
    atomic_store(&simd_level, 0);
    if (!on)
        atomic_store(&simd_level, 1);
}

float fg__dot_f32(const float *a, const float *b, size_t n)
{
#ifdef FG_HAVE_X86
    if (level() == 2)
        return dot_f32_avx2(a, b, n);
#endif
    return dot_f32_c(a, b, n);
}

float fg__dot_f16(const uint16_t *w, const float *x, size_t n)
{
#ifdef FG_HAVE_X86
    if (level() == 2)
        return dot_f16_avx2(w, x, n);
#endif
    return dot_f16_c(w, x, n);
}

float fg__dot_bf16(const uint16_t *w, const float *x, size_t n)
{
#ifdef FG_HAVE_X86
    if (level() == 2)
        return dot_bf16_avx2(w, x, n);
#endif
    return dot_bf16_c(w, x, n);
}

float fg__dot_q8_0(const fg__block_q8_0 *w, const fg__block_q8_0 *x, size_t n)
{
#ifdef FG_HAVE_X86
    if (level() == 2)
        return dot_q8_0_avx2(w, x, n);
#endif
    return dot_q8_0_c(w, x, n);
}

float fg__dot_q4_0(const fg__block_q4_0 *w, const fg__block_q8_0 *x, size_t n)
{
#ifdef FG_HAVE_X86
    if (level() == 2)
        return dot_q4_0_avx2(w, x, n);
#endif
    return dot_q4_0_c(w, x, n);
}

void fg__tensor_row(const fg__tensor *t, uint64_t r, float *out)
{
    const uint8_t *row = (const uint8_t *)t->data + r * t->row_bytes;
    uint64_t n = t->cols;
    if (t->type == FG__T_F32) {
        memcpy(out, row, n * 4);
    } else if (t->type == FG__T_F16 || t->type == FG__T_BF16) {
        for (uint64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, row + 2 * i, 2);
            out[i] = t->type == FG__T_F16 ? fg__f16_to_f32(h) : fg__bf16_to_f32(h);
        }
    } else if (t->type == FG__T_Q8_0) {
        const fg__block_q8_0 *b = (const fg__block_q8_0 *)row;
        for (uint64_t i = 0; i < n; i++)
            out[i] = fg__f16_to_f32(b[i / FG__QK].d) * b[i / FG__QK].qs[i % FG__QK];
    } else if (t->type == FG__T_Q4_0) {
        const fg__block_q4_0 *b = (const fg__block_q4_0 *)row;
        for (uint64_t i = 0; i < n; i++) {
            const fg__block_q4_0 *k = &b[i / FG__QK];
            int j = (int)(i % FG__QK);
            int q = j < 16 ? (k->qs[j] & 0xf) : (k->qs[j - 16] >> 4);
            out[i] = fg__f16_to_f32(k->d) * (float)(q - 8);
        }
    }
}

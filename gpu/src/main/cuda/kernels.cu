// Mesascope's CUDA kernels: everything of the forward pass except the matrix products (cuBLAS does those).
// Compiled to PTX by gpu/build-ptx.sh; every kernel is extern "C" so that cuModuleGetFunction finds it by name.
// Conventions: activations are row-major fp32, a "row" is one (batch, position) pair, row = b * width + t.
// Reductions are in fp32 except the norms' sums, in double like the CPU engine (Ops.layerNorm/rmsNorm).

#include <cuda_bf16.h>

#define WARP 32

struct Sum {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

struct Max {
    __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

template <typename T, typename Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
    for (int o = WARP / 2; o > 0; o >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, o));
    return v;
}

// Reduction over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// identity fills the lanes of warps the block does not have.
template <typename T, typename Op>
__device__ T block_reduce(T v, Op op, T identity) {
    __shared__ T part[32];
    __shared__ T total;
    int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    v = warp_reduce(v, op);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T s = lane < blockDim.x / WARP ? part[lane] : identity;
        s = warp_reduce(s, op);
        if (lane == 0) total = s;
    }
    __syncthreads();
    T r = total;
    __syncthreads();
    return r;
}

__device__ double block_sum_d(double v) {
    return block_reduce(v, Sum(), 0.0);
}

__device__ float block_sum(float v) {
    return (float) block_sum_d((double) v);
}

__device__ float block_max(float v) {
    return block_reduce(v, Max(), -INFINITY);
}

// out[r, :] = table[ids[r], :]  (token embeddings, and learned positions with ids = positions)
extern "C" __global__ void embed_lookup(float* out, const float* table, const int* ids, int rows, int d) {
    long n = (long) rows * d;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        long r = i / d, c = i % d;
        out[i] = table[(long) ids[r] * d + c];
    }
}

// out = a + b
extern "C" __global__ void add(float* out, const float* a, const float* b, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        out[i] = a[i] + b[i];
    }
}

// x[r, c] += bias[c]
extern "C" __global__ void add_bias(float* x, const float* bias, int rows, int cols) {
    long n = (long) rows * cols;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        x[i] += bias[i % cols];
    }
}

// One block per row: (x - mean) / sqrt(var + eps) * w + b, biased variance (as torch)
extern "C" __global__ void layernorm(float* out, const float* x, const float* w, const float* b, int d, float eps) {
    const float* xr = x + (long) blockIdx.x * d;
    float* orow = out + (long) blockIdx.x * d;
    double s = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += xr[i];
    double mean = block_sum_d(s) / d;
    double v = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        double c = xr[i] - mean;
        v += c * c;
    }
    double inv = 1.0 / sqrt(block_sum_d(v) / d + (double) eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) orow[i] = (float) ((xr[i] - mean) * inv * w[i] + b[i]);
}

// One block per row: x / sqrt(mean(x^2) + eps) * w (Llama)
extern "C" __global__ void rmsnorm(float* out, const float* x, const float* w, int d, float eps) {
    const float* xr = x + (long) blockIdx.x * d;
    float* orow = out + (long) blockIdx.x * d;
    double s = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += (double) xr[i] * xr[i];
    double inv = 1.0 / sqrt(block_sum_d(s) / d + (double) eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) orow[i] = (float) (xr[i] * inv * w[i]);
}

// activation codes: 0 gelu_new (tanh approximation), 1 gelu (erf), 2 silu, 3 relu
__device__ __forceinline__ float activation(int act, float x) {
    switch (act) {
        case 0: return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        case 1: return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
        case 2: return x / (1.0f + expf(-x));
        default: return fmaxf(x, 0.0f);
    }
}

extern "C" __global__ void activate(float* x, long n, int act) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        x[i] = activation(act, x[i]);
    }
}

// SwiGLU: gate = act(gate) * up
extern "C" __global__ void gated_activate(float* gate, const float* up, long n, int act) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        gate[i] = activation(act, gate[i]) * up[i];
    }
}

// Rotary embedding in place on the first rotaryDim values of every head (rotate_half convention, as HF Llama).
// x is [rows, heads * headDim] with rows of stride rowStride; cos/sin are [positions, rotaryDim/2] tables made on
// the host from the CPU engine's own Rotary, pos[r] is row r's position.
extern "C" __global__ void rotary(float* x, const float* cosT, const float* sinT, const int* pos, int rows, int heads,
                                  int headDim, int rotaryDim, int rowStride) {
    int half = rotaryDim / 2;
    long n = (long) rows * heads * half;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        int j = (int) (i % half);
        long rh = i / half;
        int h = (int) (rh % heads);
        long r = rh / heads;
        float* v = x + r * rowStride + (long) h * headDim;
        float c = cosT[(long) pos[r] * half + j], s = sinT[(long) pos[r] * half + j];
        float x1 = v[j], x2 = v[j + half];
        v[j] = x1 * c - x2 * s;
        v[j + half] = x2 * c + x1 * s;
    }
}

#define TILE 16

// Attention scores: p[b, h, t, s] = scale * q[b, t, h] . k[b, s, h / group], for the keys query t sees (s <= t and,
// with a window, s > t - window); -inf elsewhere. q and k rows have strides qStride and kStride (GPT-2's fused qkv).
// Grid: (ceil(T/16), ceil(T/16), B * heads), block 16x16; tiles entirely above the diagonal return early.
extern "C" __global__ void attn_scores(float* p, const float* q, const float* k, int width, int heads, int kvHeads,
                                       int headDim, int qStride, int kStride, float scale, int window) {
    __shared__ float qs[TILE][TILE + 1];
    __shared__ float ks[TILE][TILE + 1];
    int bh = blockIdx.z, b = bh / heads, h = bh % heads, kh = h / (heads / kvHeads);
    int t = blockIdx.y * TILE + threadIdx.y, s = blockIdx.x * TILE + threadIdx.x;
    float* out = p + (long) bh * width * width;
    if (blockIdx.x * TILE > blockIdx.y * TILE + TILE - 1) {
        if (t < width && s < width) out[(long) t * width + s] = -INFINITY;
        return;
    }
    float acc = 0;
    for (int d0 = 0; d0 < headDim; d0 += TILE) {
        int tq = blockIdx.y * TILE + threadIdx.y, dq = d0 + threadIdx.x;
        qs[threadIdx.y][threadIdx.x] = tq < width && dq < headDim ? q[((long) b * width + tq) * qStride + h * headDim + dq] : 0;
        int sk = blockIdx.x * TILE + threadIdx.y;
        ks[threadIdx.y][threadIdx.x] = sk < width && dq < headDim ? k[((long) b * width + sk) * kStride + kh * headDim + dq] : 0;
        __syncthreads();
        for (int i = 0; i < TILE; i++) acc += qs[threadIdx.y][i] * ks[threadIdx.x][i];
        __syncthreads();
    }
    if (t < width && s < width) {
        bool seen = s <= t && (window <= 0 || s > t - window);
        out[(long) t * width + s] = seen ? acc * scale : -INFINITY;
    }
}

// Softmax of every row of p ([rows, width], rows = B * heads * T) in place; masked entries (-inf) become 0.
// One block per row.
extern "C" __global__ void softmax_rows(float* p, int width) {
    float* row = p + (long) blockIdx.x * width;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < width; i += blockDim.x) m = fmaxf(m, row[i]);
    m = block_max(m);
    float s = 0;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        float e = row[i] == -INFINITY ? 0.0f : expf(row[i] - m);
        row[i] = e;
        s += e;
    }
    float inv = 1.0f / block_sum(s);
    for (int i = threadIdx.x; i < width; i += blockDim.x) row[i] *= inv;
}

// z[b, t, h, :] = sum_s p[b, h, t, s] v[b, s, h / group, :]; z is [B, T, heads, headDim].
// Grid: (ceil(headDim/16), ceil(T/16), B * heads), block 16x16.
extern "C" __global__ void attn_weighted(float* z, const float* p, const float* v, int width, int heads, int kvHeads,
                                         int headDim, int vStride) {
    __shared__ float ps[TILE][TILE + 1];
    __shared__ float vs[TILE][TILE + 1];
    int bh = blockIdx.z, b = bh / heads, h = bh % heads, kh = h / (heads / kvHeads);
    int t = blockIdx.y * TILE + threadIdx.y, c = blockIdx.x * TILE + threadIdx.x;
    const float* prow = p + (long) bh * width * width;
    float acc = 0;
    int lastKey = min(width, (int) (blockIdx.y + 1) * TILE);  // causal: no query of this tile sees keys beyond it
    for (int s0 = 0; s0 < lastKey; s0 += TILE) {
        int sp = s0 + threadIdx.x;
        ps[threadIdx.y][threadIdx.x] = t < width && sp < width ? prow[(long) t * width + sp] : 0;
        int sv = s0 + threadIdx.y;
        vs[threadIdx.y][threadIdx.x] = sv < width && c < headDim ? v[((long) b * width + sv) * vStride + kh * headDim + c] : 0;
        __syncthreads();
        for (int i = 0; i < TILE; i++) acc += ps[threadIdx.y][i] * vs[i][threadIdx.x];
        __syncthreads();
    }
    if (t < width && c < headDim) z[(((long) b * width + t) * heads + h) * headDim + c] = acc;
}

// fp32 -> bf16, round to nearest even (weights once at upload, activations before each bf16 product)
extern "C" __global__ void f32_to_bf16(__nv_bfloat16* out, const float* in, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        out[i] = __float2bfloat16_rn(in[i]);
    }
}

extern "C" __global__ void bf16_to_f32(float* out, const __nv_bfloat16* in, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        out[i] = __bfloat162float(in[i]);
    }
}

// The device side of the logit lens, one block per row of logits [N, vocab]: log-softmax statistics and the top k.
// stats[r] = {entropy (nats), KL(final || row) (nats), log-sum-exp, max}; final rows are finalLogits[r % finalRows]
// (each lens row set is compared with the model's own logits for the same positions); topIds/topProbs are [N, k].
// Only these small arrays leave the device.
extern "C" __global__ void lens_stats(const float* logits, const float* finalLogits, int finalRows, int vocab, int k,
                                      float* stats, int* topIds, float* topProbs) {
    extern __shared__ int chosen[];
    const float* x = logits + (long) blockIdx.x * vocab;
    const float* f = finalLogits + (long) (blockIdx.x % finalRows) * vocab;
    float m = -INFINITY, mf = -INFINITY;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        m = fmaxf(m, x[i]);
        mf = fmaxf(mf, f[i]);
    }
    m = block_max(m);
    mf = block_max(mf);
    double s = 0, sf = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        s += exp((double) x[i] - m);
        sf += exp((double) f[i] - mf);
    }
    double lse = m + log(block_sum_d(s)), lsef = mf + log(block_sum_d(sf));
    double ent = 0, kl = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        double lp = x[i] - lse, lpf = f[i] - lsef;
        ent -= exp(lp) * lp;
        kl += exp(lpf) * (lpf - lp);
    }
    ent = block_sum_d(ent);
    kl = block_sum_d(kl);
    if (threadIdx.x == 0) {
        float* st = stats + (long) blockIdx.x * 4;
        st[0] = (float) ent;
        st[1] = (float) kl;
        st[2] = (float) lse;
        st[3] = m;
    }
    // top k by k rounds of a block argmax that skips ids already chosen (k is small: 1..32)
    __shared__ float bestV[32];
    __shared__ int bestI[32];
    for (int round = 0; round < k; round++) {
        float bv = -INFINITY;
        int bi = 0x7fffffff;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            bool taken = false;
            for (int j = 0; j < round; j++) taken |= chosen[j] == i;
            if (!taken && (x[i] > bv || (x[i] == bv && i < bi))) {
                bv = x[i];
                bi = i;
            }
        }
        for (int o = WARP / 2; o > 0; o >>= 1) {
            float ov = __shfl_down_sync(0xffffffffu, bv, o);
            int oi = __shfl_down_sync(0xffffffffu, bi, o);
            if (ov > bv || (ov == bv && oi < bi)) {
                bv = ov;
                bi = oi;
            }
        }
        int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
        if (lane == 0) {
            bestV[warp] = bv;
            bestI[warp] = bi;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            float v = bestV[0];
            int id = bestI[0];
            for (int w = 1; w < blockDim.x / WARP; w++) {
                if (bestV[w] > v || (bestV[w] == v && bestI[w] < id)) {
                    v = bestV[w];
                    id = bestI[w];
                }
            }
            chosen[round] = id;
            topIds[(long) blockIdx.x * k + round] = id;
            topProbs[(long) blockIdx.x * k + round] = (float) exp((double) v - lse);
        }
        __syncthreads();
    }
}

// Steering on the device: x[r, :] += scale * v for every row r with mask[r] != 0 (mask null: every row).
extern "C" __global__ void steer_rows(float* x, const float* v, const int* mask, int rows, int d, float scale) {
    long n = (long) rows * d;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        long r = i / d;
        if (mask == 0 || mask[r] != 0) x[i] += scale * v[i % d];
    }
}

// Patching on the device: x[r, :] = src[r, :] for every row r with mask[r] != 0 (mask null: every row).
extern "C" __global__ void patch_rows(float* x, const float* src, const int* mask, int rows, int d) {
    long n = (long) rows * d;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        if (mask == 0 || mask[i / d] != 0) x[i] = src[i];
    }
}

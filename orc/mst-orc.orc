# Element-wise kernels of the mastering plugin. Recursive filters are in C
# (gst/); everything here is one output element from the same-index inputs.
# Names: mst_orc_<op>_<format>[_<n>ch].

# Interleaved stereo F32 -> two planar F64 arrays (left, right).
.function mst_orc_deinterleave_f32_2ch
.dest 8 left double
.dest 8 right double
.source 8 frames
.temp 4 l
.temp 4 r
splitql r, l, frames
convfd left, l
convfd right, r

# Two planar F64 arrays -> interleaved stereo F32.
.function mst_orc_interleave_f32_2ch
.dest 8 frames
.source 8 left double
.source 8 right double
.temp 4 l
.temp 4 r
convdf l, left
convdf r, right
mergelq frames, l, r

# Mono F32 -> F64 and back.
.function mst_orc_convert_f32_to_f64
.dest 8 d double
.source 4 s float
convfd d, s

.function mst_orc_convert_f64_to_f32
.dest 4 d float
.source 8 s double
convdf d, s

# Mid/side of a stereo pair, in place: a = (L + R) / 2 (mid), b = (L - R) / 2
# (side), where a holds L and b holds R on entry.
.function mst_orc_ms_encode_f64
.dest 8 a double
.dest 8 b double
.doubleparam 8 half
.temp 8 sum
.temp 8 diff
addd sum, a, b
subd diff, a, b
muld a, sum, half
muld b, diff, half

# Inverse of the above, in place: a = mid + side (L), b = mid - side (R).
.function mst_orc_ms_decode_f64
.dest 8 a double
.dest 8 b double
.temp 8 sum
.temp 8 diff
addd sum, a, b
subd diff, a, b
copyq a, sum
copyq b, diff

# Constant gain on a planar F64 array, in place.
.function mst_orc_scale_f64
.dest 8 d double
.doubleparam 8 gain
muld d, d, gain

# Four taps of an FIR in one pass: d += h0 s0 + h1 s1 + h2 s2 + h3 s3, where
# the sources are the same signal shifted by one sample each (true-peak
# interpolation: each phase is a sum of such passes).
.function mst_orc_fir4_f32
.dest 4 d float
.source 4 s0 float
.source 4 s1 float
.source 4 s2 float
.source 4 s3 float
.floatparam 4 h0
.floatparam 4 h1
.floatparam 4 h2
.floatparam 4 h3
.temp 4 t
.temp 4 acc
mulf acc, s0, h0
mulf t, s1, h1
addf acc, acc, t
mulf t, s2, h2
addf acc, acc, t
mulf t, s3, h3
addf acc, acc, t
addf d, d, acc

# d = max (d, |s|): the peak over interpolation phases.
.function mst_orc_absmax_f32
.dest 4 d float
.source 4 s float
.temp 4 a
andl a, s, 0x7fffffff
maxf d, d, a

# The true-peak interpolator in symmetric form, four tap pairs per pass.
# Each source pair is a tap and its mirror, x = row + k and r = row + T-1-k
# (T taps). The middle phase (fraction 1/2) is symmetric, and phases p and
# F-p are mirror images of each other, so with s_k = x_k + r_k:
# m += sum hm_k s_k is the middle phase and a += sum ha_k s_k is half the
# sum of the mirror pair (ha_k = (h_k + h_{T-1-k}) / 2).
.function mst_orc_fir_sym4_f32
.dest 4 m float
.dest 4 a float
.source 4 x0 float
.source 4 x1 float
.source 4 x2 float
.source 4 x3 float
.source 4 r0 float
.source 4 r1 float
.source 4 r2 float
.source 4 r3 float
.floatparam 4 hm0
.floatparam 4 hm1
.floatparam 4 hm2
.floatparam 4 hm3
.floatparam 4 ha0
.floatparam 4 ha1
.floatparam 4 ha2
.floatparam 4 ha3
.temp 4 s
.temp 4 t
.temp 4 accm
.temp 4 acca
addf s, x0, r0
mulf accm, s, hm0
mulf acca, s, ha0
addf s, x1, r1
mulf t, s, hm1
addf accm, accm, t
mulf t, s, ha1
addf acca, acca, t
addf s, x2, r2
mulf t, s, hm2
addf accm, accm, t
mulf t, s, ha2
addf acca, acca, t
addf s, x3, r3
mulf t, s, hm3
addf accm, accm, t
mulf t, s, ha3
addf acca, acca, t
addf m, m, accm
addf a, a, acca

# The other half of the mirror pair: b += sum hb_k (x_k - r_k), half their
# difference (hb_k = (h_k - h_{T-1-k}) / 2).
.function mst_orc_fir_asym4_f32
.dest 4 b float
.source 4 x0 float
.source 4 x1 float
.source 4 x2 float
.source 4 x3 float
.source 4 r0 float
.source 4 r1 float
.source 4 r2 float
.source 4 r3 float
.floatparam 4 hb0
.floatparam 4 hb1
.floatparam 4 hb2
.floatparam 4 hb3
.temp 4 d
.temp 4 t
.temp 4 acc
subf d, x0, r0
mulf acc, d, hb0
subf d, x1, r1
mulf t, d, hb1
addf acc, acc, t
subf d, x2, r2
mulf t, d, hb2
addf acc, acc, t
subf d, x3, r3
mulf t, d, hb3
addf acc, acc, t
addf b, b, acc

# Largest magnitude over the phases at each output, in place in m:
# max (|m|, |a| + |b|), since with a = (y1 + y3) / 2 and b = (y1 - y3) / 2,
# max (|y1|, |y3|) = max (|a + b|, |a - b|) = |a| + |b|.
.function mst_orc_tp_peak_f32
.dest 4 m float
.source 4 a float
.source 4 b float
.temp 4 ma
.temp 4 mb
andl ma, a, 0x7fffffff
andl mb, b, 0x7fffffff
addf ma, ma, mb
andl mb, m, 0x7fffffff
maxf m, mb, ma

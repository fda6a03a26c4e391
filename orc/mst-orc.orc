# Element-wise kernels of the mastering plugin. Recursive filters are in C
# (gst/); everything here is one output element from the same-index inputs.
# Names: mst_orc_<op>_<format>[_<n>ch].
#
# Every kernel here runs as ORC's JIT compiles it, and tests/test-orc-abi.c
# checks that the compiled code keeps the caller's callee-saved registers:
# Debian's liborc 0.4.33 destroys r12 and r13 in kernels of many arrays
# (the 8-source true-peak kernels that were here; that interpolator is now
# C, gst/mst-tpsym.c). Split a kernel that fails that test, or write it in
# C with a run-time-chosen vector path.

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

# A 2x2 matrix on a planar pair, in place: (a, b) = (m00 a + m01 b,
# m10 a + m11 b). The imager's mid/side matrixing (width, gains, swap,
# polarity, rotation, balance all fold into one such matrix).
.function mst_orc_matrix2_f64
.dest 8 a double
.dest 8 b double
.doubleparam 8 m00
.doubleparam 8 m01
.doubleparam 8 m10
.doubleparam 8 m11
.temp 8 t0
.temp 8 t1
.temp 8 u0
.temp 8 u1
muld t0, a, m00
muld t1, b, m01
muld u0, a, m10
muld u1, b, m11
addd a, t0, t1
addd b, u0, u1

# The same on interleaved stereo F32 frames, in place: each frame to
# doubles, through the matrix as mst_orc_matrix2_f64 computes it, back to
# floats; the imager's steady path when no side filter is at work (no
# planar round trip).
.function mst_orc_matrix2_f32_2ch
.dest 8 d
.doubleparam 8 m00
.doubleparam 8 m01
.doubleparam 8 m10
.doubleparam 8 m11
.temp 4 l
.temp 4 r
.temp 8 ld
.temp 8 rd
.temp 8 t0
.temp 8 t1
.temp 8 u0
.temp 8 u1
splitql r, l, d
convfd ld, l
convfd rd, r
muld t0, ld, m00
muld t1, rd, m01
muld u0, ld, m10
muld u1, rd, m11
addd t0, t0, t1
addd u0, u0, u1
convdf l, t0
convdf r, u0
mergelq d, l, r

/* mastering: spectral noise reduction, two STFTs on mst-fft; see
 * mst-denoise.h.
 *
 * Analysis and synthesis. Two transforms of the same input: the short
 * one, N points (a power of two, about 17.5 ms: 1024 at 48 kHz), and the
 * long one, LONG_RATIO N (8192 at 48 kHz), each every quarter of its
 * length, windowed before the forward transform and again after the
 * backward one (the periodic Hann window to a power before, to 1 less it
 * after: WINDOW_EXPONENT_SHORT and _LONG). The product of the two windows
 * is the Hann window, whose copies a quarter apart sum to exactly 2. Each transform computes its noise and gains (below) and takes
 * out its share of what they remove: spectrum times share (1 - gain),
 * the long one's share 1 under XO_LO_HZ, the short one's 1 over XO_HI_HZ,
 * shares summing to 1 between. The removals, overlap-added, go into a
 * ring per channel (around onsets the short one takes the long one's
 * share above 160 Hz: ONSET_XO_HZ says why and how); the output is the dry input (a delay line,
 * mst-delayline.h, of the long transform's length less one: the latency)
 * less them. With every gain at 1 (reduction 0, bypass done) the
 * removals are exactly 0: the input, bit for bit. Output frame p is
 * complete once the long frame ending after it has been added, at input
 * frame p + 8N - 1 at the latest, whatever the caller's block size.
 * In stereo, the bands whose music is centred are denoised as mid and
 * side (see MS_SIDE_RATIO_HI), the transforms' spectra turned into them and the
 * removals back.
 *
 * Noise. Either a profile (learned: the mean periodogram over every frame
 * while learning, an unbiased estimate of the noise's expected power per
 * bin; or given as the density in third-octave bands) or tracked: minimum
 * statistics (R. Martin, "Noise power spectral density estimation based on
 * optimal smoothing and minimum statistics", IEEE Trans. Speech Audio
 * Process. 9(5), 2001): the power smoothed over time (25 ms in the short
 * layer, 50 in the long one) and three bins, its minimum over 1.5 s (3 s
 * in the long one) kept as eight sub-window minima, times a bias factor,
 * then held under a slope of 4.5 dB per octave towards the bass
 * (slope_limit_noise says why), with a bias factor (the minimum of
 * noise's smoothed power lies under its mean;
 * the factor was measured on white noise, test-denoise-core checks the
 * tracked floor against the true one).
 *
 * Gains. Decision-directed a priori SNR (Y. Ephraim and D. Malah, "Speech
 * enhancement using a minimum mean-square error short-time spectral
 * amplitude estimator", IEEE Trans. ASSP 32(6), 1984: weight 0.98) with a
 * floor of -25 dB (O. Cappe, "Elimination of the musical noise phenomenon
 * with the Ephraim and Malah noise suppressor", IEEE Trans. Speech Audio
 * Process. 2(2), 1994: the floor and the decision-directed smoothing are
 * what keep the residual from twinkling), the Wiener gain xi / (1 + xi)
 * (the least mean-square error among linear gains: what the SDR measures),
 * sharpened by the second step of the two-step estimate (Plapous et al.
 * 2006) in the long layer; the short layer's a priori SNR is instead
 * the mean over the frames either side and three bins (LOOKAHEAD).
 * Bands (a sixth of an octave, at least 16 bins) whose mean a
 * posteriori SNR stays near 1 hold noise alone: their gains go to the
 * floor (in the long transform, but for the bins whose smoothed power
 * stands well over the noise: a partial). Then smoothing: a morphological opening over three bins (peaks of the
 * gain narrower than three bins, which a sinusoid's main lobe is not, are
 * what twinkles in the residual) and a one-pole over time, both by the
 * `smoothing` setting; then the floor 10^(-reduction / 20). In noise alone
 * the gain sits on the floor, so the residual is the noise scaled, not a
 * set of tones. */
#include "mst-denoise.h"
#include "mst-delayline.h"
#include "mst-fft.h"
#include "mst-fpu.h"
#include "mst-cpu.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* Frame length sought for the short transform, s: the power of two at or
 * above it (1024 points at 44.1 and 48 kHz, 23 and 21 ms): the highs, where
 * the music's noisy parts (hi-hats, breath, attacks) are short. The long
 * transform is LONG_RATIO times longer (8192 points, 171 ms at 48 kHz,
 * 5.9 Hz bins): the lows, where a bass line's and a kick's partials lie a
 * few hertz apart and the noise between them can only be told from them
 * with bins that narrow. Measured on the benchmark's music with pink hiss
 * (bench.py's denoise verification; docs/elements/denoise.md): one 2048
 * point transform gave +2.0 and +3.1 dB of SDR at -45 and -35 dBFS, the two
 * +3.6 and +5.2, and an oracle mask (the true noise and music per bin)
 * +3.6 and +5.0 at 2048 points against +5.4 and +7.2 with the best length
 * per octave. */
#define FRAME_S 0.0175
#define LONG_RATIO 8
/* The analysis window is the periodic Hann window to this power, the
 * synthesis window to 1 less it (their product the Hann window). The
 * short layer's 0.5, the square-root pair; the long layer's 0.6: lower
 * sidelobes (the bass's and kick's leakage into the bins of hiss between
 * partials) for a main lobe a little wider. On the four materials of
 * docs/elements/denoise.md under white and pink hiss at -45 and
 * -35 dBFS: pink -45 dBFS +0.04 to +0.10 dB of SDR gain on every
 * material, white +0.01 to +0.04, pink -35 dBFS -0.02 to +0.05; the
 * SDR on pink hiss at -35 dBFS of the benchmark's music falls from 0.55
 * on (0.65: -0.035, 0.7: -0.06), as it did with the Hann window (1, the
 * pair's product Hann squared: -0.21 there), whose main lobe blurs the
 * 33 to 55 Hz bass. */
#define WINDOW_EXPONENT_SHORT 0.5
#define WINDOW_EXPONENT_LONG 0.6
#define MAX_FFT 65536
#define HOP_DIVISOR 4
/* The crossover between the two transforms: the long one removes what it
 * finds below XO_LO_HZ, the short one above XO_HI_HZ, each a raised cosine
 * over log frequency between them (the two removals' shares sum to 1). */
#define XO_LO_HZ 800.0
#define XO_HI_HZ 1600.0
/* Onsets. The long transform smears a kick's onset over its 171 ms: in
 * the frames that hold it, its gains (low before it, high from it on)
 * take out part of the attack and leave the hiss before it. So around an
 * onset the short transform takes over the long one's share above
 * ONSET_XO_HZ (fully from there, a raised cosine over the half octave
 * under it; below, the short bins are too wide for the kick and bass):
 * the removal there is the long layer's plus the onset weight times the
 * short layer's less the long layer's, a crossfade in time of two
 * removals, each 0 where its gains are 1 (so reduction 0 and bypass stay
 * bit-exact). The weight is the short frames' spectral flux between
 * ONSET_LO_HZ and ONSET_HI_HZ (the rise of each bin's power over the
 * tracker's smoothed power, summed, over the smoothed power summed:
 * about 0.37 on hiss alone, whose power is exponential about its mean)
 * mapped from ONSET_FLUX_LO to ONSET_FLUX_HI onto 0 .. 1, held
 * ONSET_HOLD_MS either side of the frame's centre, ramps of
 * ONSET_RAMP_MS. Measured on bench.py's denoise cases (tracked): +0.17 and
 * +0.19 dB of SDR gain on pink hiss at -45 and -35 dBFS, +0.08 and +0.09
 * on white; the short layer there at all times lost 1.2 dB, holds of 30 to
 * 100 ms before and 10 to 30 after gained less (+0.1 to -0.2), the band
 * from 100 to 320 Hz or to 5 kHz, other thresholds, within 0.03.
 * Away from onsets the weight is 0 and the two removals in the band are
 * not needed: their spectra are kept until the output has passed them and
 * inverted only for output frames whose weight is not 0 (onset_frame).
 * A long frame's removal spans 8N frames, whose weights depend on short
 * frames up to 8N later than its own, so the decision cannot be taken
 * when the frame is; the output, a long transform behind, takes it. On
 * the benchmark's music 10 % of the short hops have a weight, and 14 % of
 * the short frames and half the long ones are inverted: 1115 -> 889
 * instructions a stereo frame (callgrind), the output bit for bit the
 * same. */
#define ONSET_XO_HZ 160.0
#define ONSET_LO_HZ 160.0
#define ONSET_HI_HZ 1280.0
#define ONSET_FLUX_LO 1.0f
#define ONSET_FLUX_HI 3.0f
#define ONSET_HOLD_MS 5.0
#define ONSET_RAMP_MS 5.0
/* Power smoothing of the tracker (ms) per layer and its minimum's span
 * (ms), as sub-windows. The short layer's power over 25 ms (about five of
 * its hops) finds the hiss in the gaps between hi-hats, syllables and
 * notes that 50 ms fills: its tracked noise nearer the true one, +0.00 to
 * +0.13 dB of SDR gain on every case of bench.py's music (and its next
 * 10 s), the tests' music and speech under white and pink hiss at -45
 * and -35 dBFS (docs/elements/denoise.md; 12 to 35 ms within 0.05 of it,
 * 100 ms lost 0.01 to 0.3); the long layer's 25 ms lost 0.12 dB on pink
 * hiss, 100 ms 0.3 on white. */
#define TRACK_SMOOTH_MS_SHORT 25.0
#define TRACK_SMOOTH_MS_LONG 50.0
/* The short layer's minimum over 1.5 s, the long layer's over 3 s: in the
 * lows a bass line and held chords pause less often than 1.5 s, and a
 * longer span finds the hiss between them. On the four materials of
 * docs/elements/denoise.md under white and pink hiss at -45 and
 * -35 dBFS: +0.15 and +0.23 dB of SDR gain on the tests' music (pink and
 * white -45 dBFS), +0.02 to +0.04 on the benchmark's cases, at worst
 * -0.03 (the tests' speech under pink hiss at -45 dBFS); 2.5 s gained
 * about half. The cost: a rise of the noise is followed in the lows
 * within 3 s instead of 1.5. */
#define TRACK_SPAN_MS_SHORT 1500.0
#define TRACK_SPAN_MS_LONG 3000.0
#define SUBWINDOWS 8
/* The tracked minimum times this is the noise's mean power, per layer:
 * measured on white noise at 48 kHz with the settings above, 10 s of
 * three or four seeds (the short layer's power, smoothed over about five
 * of its hops, has a shallower minimum than the long layer's, smoothed
 * over hardly more than one and taken over a longer span;
 * test-denoise-core, check_hiss_alone, holds the floor within 1 dB). */
#define TRACK_BIAS_SHORT 2.48f
#define TRACK_BIAS_LONG 4.10f
/* Mid and side: a stereo stream is denoised, band by band (a
 * sixth of an octave), as its mid (l + r) / 2 and side (l - r) / 2 where
 * its music is centred, the removals turned back into left (mid + side)
 * and right (mid - side). Hiss is independent in the two channels (tape
 * tracks, preamps); music mostly is not (a centred voice, bass, kick: the
 * benchmark's music and the tests' lie 24 to 25 dB under their mid in
 * the side, the tests' speech is mono): the mid holds the music over half
 * the noise (3 dB more SNR), the side little music and the other half,
 * which its gains take down to the floor. A source panned hard to one
 * side would lie in both at half its power over half the noise (3 dB
 * less SNR than in its channel): a band whose music (its power over
 * KEEP_MS less the noise) lies in the side at more than MS_SIDE_RATIO_HI
 * of the mid's is denoised as left and right, back as mid and side under
 * MS_SIDE_RATIO_LO (a single source panned to 0.29 / 0.71, side over mid
 * 0.18, has the same SNR in either). Four trackers run, on left, right,
 * mid and side, so a band's noise is known in both bases. With a profile
 * the noise's split between mid and side is measured (split_noise);
 * tracked, the mid's and side's trackers measure it. On the sixteen cases
 * of docs/elements/denoise.md: with the true profile +1.2 to +2.6 dB of
 * SDR gain (bench.py's white -45, -35, pink -45, -35 dBFS: +8.82 ->
 * +10.17, +11.33 -> +12.36, +4.24 -> +6.02, +5.92 -> +7.80), tracked
 * +0.91 to +2.58 (+8.49 -> +9.73, +11.12 -> +12.05, +4.36 -> +5.77,
 * +5.80 -> +7.34). Mid and side in every band lost 0.7 to 2.2 dB against
 * left and right on the benchmark's music in the left channel and the
 * tests' music (or speech) in the right under independent hiss; with the
 * choice at most 0.06, and 0.05 with the two panned to 0.25 / 0.75.
 * With the bands judged by the mid's and side's trackers' powers over
 * KEEP_MS instead (tried first): these thresholds lost 0.06 with a
 * profile on the benchmark's next 10 s under white hiss at -35 dBFS;
 * 0.15 / 0.3 left test_hiss_alone's pink residual over its bound
 * (-13.96 dB against -14) and lost 0.12 on the panned pair; 0.1 / 0.2
 * lost 0.14 with a profile there. Hiss the same in both channels (a mono
 * recording's copied to both): within 0.03 dB of left and right, tracked
 * or given; of correlation 0.5, +0.4 to +1.1 dB over them.
 * SPLIT_RATIO_CAP: split_noise. */
#define SPLIT_RATIO_CAP 2.0f
#define MS_SIDE_RATIO_LO 0.12f
#define MS_SIDE_RATIO_HI 0.25f
/* How much of the noise each layer's gains see: the long layer's tracked
 * noise lies over the true one where the music never pauses (2 to 7 dB
 * under 1280 Hz on bench.py's music under pink hiss), so its gains see
 * 0.69 of it; a profile (learned or given) is the noise's mean itself,
 * and its gains see all of it (GAIN_NU_PROFILE). */
#define GAIN_NU_SHORT 1.0f
#define GAIN_NU_LONG 0.69f
#define GAIN_NU_PROFILE 1.0f
/* The tracked noise's bands: a sixth of an octave; the steepest rise of
 * hiss towards low frequencies, dB per octave. */
#define BAND_RATIO 1.122462048309373
#define SLOPE_DB_PER_OCTAVE 4.5
/* The decision-directed weight (Ephraim and Malah's 0.98 at their 8 ms
 * hop lost the attacks of percussive music; 0.9 keeps them). With the
 * noise tracked, lower, the previous
 * frame being old (the long layer's 43 ms) and the tracked noise over the
 * true one where the music never pauses: the long layer 0.8, the short
 * one 0.85 (on bench.py's denoise cases, with the partials spared by
 * their power over KEEP_MS: +0.05 to +0.13 dB of SDR gain over 0.6 and
 * 0.9, the residual of hiss alone 0.2 dB higher on white and 0.5 lower on
 * pink; the long layer's 0.6 had gained +0.1 to +0.2 over 0.9 before the
 * partials were judged over KEEP_MS; with the true profile 0.6 lost 0.15
 * to 0.25 dB on pink hiss; 0.6 in the short layer raised the residual of
 * hiss alone over test-denoise-core's bound, 0.8 brought it within
 * 0.4 dB of it). Since, with the short layer's presence from 1.2 to 3
 * and its gains released over at most 20 ms (below), the short one 0.7:
 * the three together +0.05 dB of SDR gain on pink hiss at -45 and
 * -35 dBFS, +0.2 to +0.37 on white (0.6 as good; 0.95 lost 0.1 to
 * 0.4 dB). Cappe's floor of the a priori SNR (-25 dB). */
#define DD_WEIGHT_SHORT 0.7f
#define DD_WEIGHT_LONG 0.8f
/* With a profile: the short layer's weight as tracked (its tuning above
 * was of the gain rule, the noise there is known to within 0.7 dB), the
 * long layer's 0.85, its gains seeing all the noise (GAIN_NU_PROFILE).
 * Against 0.9 in both layers and 0.69 of the noise: +0.19 / +0.46 /
 * +0.20 / +0.28 dB of SDR gain on bench.py's four cases with the true
 * profile (white -45, -35, pink -45, -35 dBFS), +0.02 to +0.46 on the
 * benchmark music's next 10 s, the tests' music and speech
 * (docs/elements/denoise.md); the long layer's 0.9 lost 0.09 on the
 * tests' music under pink hiss at -45 dBFS, its gains seeing 0.85 of
 * the noise lost 0.04 to 0.14 on pink hiss. */
#define DD_WEIGHT_PROFILE_SHORT DD_WEIGHT_SHORT
#define DD_WEIGHT_PROFILE_LONG 0.85f
/* Presence per band: the mean a posteriori SNR over at least
 * PRES_MIN_BINS bins (the band widened to them), mapped from the layer's
 * low to its high threshold onto a factor 0 .. 1 of the band's gains
 * (noise alone: the mean is 1). A twinkle does not lift its band's mean,
 * music does. The short layer's from PRES_LO_SHORT: noise alone rarely
 * lifts a mean over 16 of its bins or more by 20 %. Its bands (a sixth of
 * an octave above 1280 Hz) hold many bins, whose mean noise alone lifts
 * less; music there is mostly transient and passes the decision-directed
 * gain anyway: to PRES_HI_SHORT 3 against 2, +0.05 dB of SDR gain on white
 * hiss at -45 dBFS, +0.1 at -35 (with the 20 ms release and weight 0.7:
 * see DD_WEIGHT_SHORT); 4 lost 0.15 dB at white -35 dBFS. */
#define PRES_LO_SHORT 1.2f
#define PRES_HI_SHORT 3.0f
/* The long layer's from PRES_LO_LONG to PRES_HI_LONG (1.2 to 2 before):
 * its 16 bins are neighbours under a window with a wide
 * main lobe (WINDOW_EXPONENT_LONG), so their mean scatters more than 16
 * independent bins' would: over hiss alone it passed 1.2 often enough
 * that the factor averaged 0.11 to 0.12 (white and pink hiss at -45 dBFS,
 * tracked), and below 1280 Hz the residual of hiss alone lay 3 to 7 dB
 * over the floor (test-denoise-core's seeds 1 to 10, pink: -15 dB
 * over 20 Hz to 20 kHz in 10 s instead of -19; white likewise below
 * 1280 Hz, where it has too little power to show in the total). From 2 to
 * 4 the factor averages 0.004 to 0.007 there and the residual over 20 Hz
 * lies at -16.5 to -19.5 dB; the SDR gains on docs/elements/denoise.md's
 * sixteen cases, tracked, +0.00 to +0.55 dB (pink hiss +0.09 to +0.55,
 * speech most), with the profile given -0.02 to +0.05. 2.4 to 3.2, 2.5
 * to 5 and 3 to 3.5 within 0.02 of it; 1.2 + 0.5 to 2 + 0.5 half way;
 * no factor at all (the partials alone spared) lost 0.17 dB on white hiss
 * at -45 dBFS and 0.27 on the tests' music under pink hiss at -35. */
#define PRES_LO_LONG 2.0f
#define PRES_HI_LONG 4.0f
/* Tracking, each bin's a posteriori SNR counts up to PRES_SNR_CAP_LONG in
 * the long layer's band mean: the tracked noise of a bin lies up to 2 to
 * 4 dB under the true one for seconds (minimum statistics per bin), and
 * there hiss alone reads SNRs of 10 to 30 (the DC bin's 30 on pink hiss,
 * seed 8, whose power is real, not complex), one of them enough to lift
 * a 16-bin mean over PRES_LO_LONG; a partial stands over 6 in its bin
 * anyway and is spared by KEEP_LO. With KEEP_NOISE_BINS, on pink and
 * white hiss alone at -45 dBFS (seeds 1 to 10, 10 s, one-second windows
 * after the first 2 s, 20 to 1280 Hz) the cap takes the worst second
 * from -15.2 to -17.0 dB (pink; white -18.6 to -19.2), the SDR on
 * docs/elements/denoise.md's sixteen tracked cases -0.01 to +0.11 dB
 * against the partials' rule alone (summed +0.50); 8 within 0.03 dB of
 * 6 on every case (the worst pink second -16.7); without that rule, 5
 * within 0.02 of 6 and 3 lost 0.17 on the tests' music under pink hiss
 * at -45 dBFS. With a
 * profile the noise is known: no cap (6 there lost 0.04 dB on the tests'
 * music under pink hiss at -35 dBFS). */
#define PRES_SNR_CAP_LONG 6.0f
#define PRES_MIN_BINS 16
/* In the long layer a band's factor spares the bins whose power, smoothed
 * over three bins and KEEP_MS (the tracker's 50 ms, then a one-pole of
 * KEEP_MS), stands KEEP_LO to KEEP_HI times over the noise, fully from
 * KEEP_HI: a chord's partial in a band of hiss, which the band's mean
 * gated. A partial lasts, hiss's chance peaks do not: smoothed over
 * 400 ms, hiss alone stays near its mean, and the thresholds can be low.
 * Measured on bench.py's denoise cases (tracked, onset crossfade in):
 * with the tracker's 50 ms alone and 3 to 6, pink -45 dBFS +3.94 dB of SDR
 * gain; 2 to 4 there +4.04 but the residual of pink hiss alone up 1.6 dB
 * (test-denoise-core's bound); over 400 ms and 2 to 4, +4.18 and the
 * residual 0.5 dB lower (-14.8 dB); 200 ms +4.17, 800 ms with 1.5 to 3
 * +4.17; 100 ms failed the residual's bound. The instantaneous SNR
 * instead let the hiss's chance peaks through (musical noise, the
 * residual up 4 dB). */
#define KEEP_MS 400.0
#define KEEP_LO 2.0f
#define KEEP_HI 4.0f
/* The noise a partial is judged against (keep_noise): the larger of the
 * bin's own and the mean over the KEEP_NOISE_BINS bins either side. The
 * tracked noise of single bins lies 2 to 4 dB under the true one for
 * seconds (a minimum over 3 s of a power smoothed over three bins and
 * 50 ms scatters), and there hiss's power over KEEP_MS stands over
 * KEEP_LO times it: the band factor spared those bins as partials, which
 * made most of the tracked long layer's residual over the floor and all
 * of its swings from second to second (the factor's partial term left
 * out, pink hiss alone's residual from 20 to 1280 Hz lies at -19.9 dB,
 * its worst second -18.8, with the cap below). On pink hiss alone at -45 dBFS (seeds 1 to
 * 10, 10 s, one-second windows after the first 2 s) the worst second
 * from -14.4 to -15.2 dB (the mean of the seeds' worst -17.0 -> -18.2),
 * on white -16.6 to -18.6; the SDR on docs/elements/denoise.md's sixteen
 * tracked cases +0.00 to +0.09 dB; the profile's cases within 0.005.
 * The mean alone (not the larger of the two) lost 0.11 dB on the tests'
 * speech under pink hiss at -35 dBFS (2 bins; 4 bins 0.20, 1 bin 0.02);
 * KEEP_LO and KEEP_HI at 3 and 6 instead kept the worst pink second at
 * -15.1 and lost 0.14 on the tests' music under pink hiss at -35. */
#define KEEP_NOISE_BINS 2
#define XI_MIN 0.0031622776f
#define G_XI_MIN (XI_MIN / (1.0f + XI_MIN))
/* The time constant of the gains' smoothing at smoothing 1, ms. */
#define GAIN_SMOOTH_MAX_MS 40.0
/* The short layer's (its hop is 5.3 ms; times `smoothing`): 20 ms with DD_WEIGHT_SHORT 0.7
 * and PRES_HI_SHORT gained +0.2 to +0.38 dB of SDR on white hiss over
 * 40 ms, 70 ms lost 0.05 to 0.2 dB; 10 ms as good as 20. */
#define GAIN_SMOOTH_MAX_MS_SHORT 20.0
/* The opening acts where the gain is under this (low SNR), fully at 0. */
#define OPEN_BELOW 0.5f
/* With a profile the long layer opens its gains wherever they are under
 * 1 (OPEN_BELOW_PROFILE_LONG), and the short layer's gains are the Wiener
 * gains of its final a priori SNR times PROFILE_XI_SCALE_SHORT
 * (gains_raised). That SNR, the decision-directed estimate sharpened by
 * this frame's own (Plapous), reads low where the music lies at the
 * hiss's level (hi-hats, cymbals): its Wiener gain takes out more of the
 * music than the known noise asks. The decision-directed smoothing is
 * kept (the weight 0.7), and the gains' spread in dB shrinks (by
 * 1 / (1 + 0.5 g)): no more twinkling. On the sixteen cases of
 * docs/elements/denoise.md (four materials under white and pink hiss at
 * -45 and -35 dBFS, the true profile given) every case gained, +0.01 to
 * +0.10 dB of SDR (bench.py's white -45, -35, pink -45, -35 dBFS +0.02,
 * +0.10, +0.03, +0.03). On bench.py's four cases: the scale 2 or 2.5
 * within 0.02 of it but white -45 dBFS (-0.015, -0.034 against 1.5); the
 * gains to the power 3/4 instead as good (within 0.01) but not
 * vectorised (sqrtf and errno: +62 instructions a stereo frame); the
 * opening alone +0.02 on pink -45 dBFS. Tracking keeps the Wiener gain
 * and OPEN_BELOW, bit for bit. */
#define OPEN_BELOW_PROFILE_LONG 1.0f
#define PROFILE_XI_SCALE_SHORT 1.5f
/* Glides of the reduction (one-pole, ms) and of bypass (linear, ms). */
#define REDUCTION_GLIDE_MS 50.0
#define BYPASS_FADE_MS 50.0
/* Powers under this are silence (the FFT's scale: a -300 dBFS density). */
#define POWER_FLOOR 1e-20f
#define BLOCK 1024
/* A profile's density starts at its lowest band's lower edge (the band
 * of 19.7 Hz spans 2^(-1/6) of it up to 2^(1/6)); the bins within
 * LEAK_BINS of it are weighted by the window's response, sampled
 * LEAK_STEPS_PER_BIN times a bin (profile_from_bands). */
#define PROFILE_LOW_EDGE_HZ 17.538469504833955
#define LEAK_BINS 8
#define LEAK_STEPS_PER_BIN 32
#define LEAK_STEPS (LEAK_BINS * LEAK_STEPS_PER_BIN)
#define N_LAYERS 2
/* LOOKAHEAD. The short layer's gains are those of the frame LOOK_FRAMES
 * back (in stereo with that frame's bases), from an a priori SNR that
 * sees the frames on both sides of it: each frame's power over the
 * noise (positive part), the mean over the frame before, its own and the
 * one after, smoothed over three bins (1/4, 1/2, 1/4), over the noise;
 * the Wiener gain, no decision-directed recursion, no Plapous step
 * (both lost here: the mean is already smooth). A non-causal estimate
 * as in I. Cohen,
 * "Speech enhancement using a noncausal a priori SNR estimator", IEEE
 * Signal Process. Lett. 11(9), 2004, in its simplest form. It adds no
 * latency: a short frame's removal is needed 7 N frames after it ends
 * (the long layer's 8 N - 1 is the latency), and this one is a hop
 * later. On the 24 cases of docs/elements/denoise.md (six materials,
 * mono ones included, under white and pink hiss at -45 and -35 dBFS):
 * tracked -0.009 to +0.23 dB of SDR gain (the mono tests' music +0.20 /
 * +0.22 / +0.05 / +0.06 on white -45, -35, pink -45, -35 dBFS; bench.py's
 * +0.07 / +0.21 / +0.01 / +0.03), with the true profile -0.029 to
 * +0.14 (pink hiss on speech and on the benchmark's music at -45 dBFS
 * lose 0.002 to 0.029). Tried: 5 frames and 5 bins within 0.02 of this; the
 * decision-directed clean powers |G X|^2 of the frames averaged instead
 * of the power over the noise -0.06 to +0.03; the Plapous step after it
 * -0.08; the profile's raised gains (PROFILE_XI_SCALE_SHORT) after it
 * -0.03 (speech, pink -35 dBFS: -0.054); the noise subtracted 0.8 or 1.2
 * times, the SNR scaled 0.7 or 1.5, the release 0 or 40 ms, PRES_HI_SHORT
 * 2 or 4: within 0.01 or lost. LOOK_SLOTS: the frames kept, the one
 * before, its own, the one after. */
#define LOOK_FRAMES 1
#define LOOK_SLOTS (2 * LOOK_FRAMES + 1)
/* Short frames of onset strengths kept (more than the latency's and the
 * onset weight's span in frames). */
#define ONSET_RING 256
/* Inverse transforms of the onset band's removal kept per layer and
 * channel: the output asks for a hop's HOP_DIVISOR frames, hop after hop,
 * so more than HOP_DIVISOR of them are each inverted once. */
#define XCACHE 8

typedef struct {
  float *in;                    /* the last N input frames (FFT aligned) */
  float *ola;                   /* overlap-add of the frames' removals */
  /* The removal in the onset band: its spectra (the bins xk0 .. xk1 - 1,
   * 0 elsewhere), frame j in slot j modulo the layer's xslots, xstride
   * bins apart, until the output has passed the frame; inverted when the
   * output first needs them (around onsets), frame j's into slot j
   * modulo XCACHE of xtime. */
  MstFftComplex *xspec;
  float *xtime;
  int64_t xtime_frame[XCACHE];
  float *smooth, *win_min, *stored_min, *sub_min;       /* tracker */
  float *noise;                 /* tracked noise, expected |X|^2 */
  float *clean2;                /* last frame's |G X|^2 */
  float *gain_t;                /* gains smoothed over time */
  float *lasting;               /* the long layer: its power over KEEP_MS */
  /* The short layer's last LOOK_SLOTS frames, frame j in slot j modulo
   * LOOK_SLOTS (LOOKAHEAD): spectrum, power, the noise in use, and the
   * power over the noise, positive part. */
  MstFftComplex *lspec;
  float *lpow, *lnoise, *lexcess;
} Channel;

/* One STFT: the short one (layer 0) or the long one (layer 1). */
typedef struct {
  int n, hop, bins;
  float dd_weight;              /* tracking: DD_WEIGHT_SHORT or _LONG */
  float dd_weight_profile;      /* DD_WEIGHT_PROFILE_SHORT or _LONG */
  bool keep_partials;           /* the band factor spares partials */
  float pres_lo, pres_hi;       /* PRES_LO_ and PRES_HI_SHORT or _LONG */
  float pres_cap;               /* tracking: PRES_SNR_CAP_LONG, or none */
  float open_below_profile;     /* OPEN_BELOW or OPEN_BELOW_PROFILE_LONG */
  /* |W(nu)|^2 of the analysis window at nu = i / LEAK_STEPS_PER_BIN bins,
   * i = 0 .. LEAK_STEPS: a profile's bins near its lowest edge. */
  double leak_response[LEAK_STEPS + 1];
  /* Bins whose removal share is not 0 (the long layer's end under
   * XO_HI_HZ): the gains are computed there only. */
  int active;
  MstFft *fft;
  float *window_a, *window_s;   /* analysis, synthesis (with 1 / 2N) */
  double window_power;          /* sum of window_a^2: N / 2 for the
                                 * square-root Hann window */
  float *share;                 /* [bins] this layer's share of removal */
  float *xshare;                /* [bins] the long layer's share that the
                                 * short one takes over at onsets */
  int xslots, xstride;
  int xk0, xk1;                 /* the bins where xshare is not 0 */
  float *frame;                 /* scratch: windowed frame, output frame */
  MstFftComplex *spec, *spec2;  /* scratch: a channel's spectrum; in
                                 * stereo, each band's basis' two */
  float *power, *gain, *tmp;    /* scratch per bin */
  float *snr;                   /* scratch: a posteriori SNR per bin */
  Channel ch[MST_MAX_CHANNELS];
  /* Noise profile in use (expected |X|^2 per bin), and the learning. */
  float *profile;
  float *noise_mid, *noise_side;        /* scratch: the profile's noise
                                         * split between mid and side */
  MstFftComplex *spec3, *spec4; /* scratch: the mid's and side's spectra */
  float *noise_v[2], *lasting_v[2];     /* scratch: each band's basis' */
  double *learn_sum;
  uint64_t learn_count;         /* frames (times channels) in learn_sum */
  int64_t frames_done;          /* frames since the reset */
  int sub_count, sub_index;
  bool tracking_started;
  float smooth_coef;            /* time smoothing of the gains */
  float track_coef;
  float keep_coef;              /* the one-pole of KEEP_MS, per frame */
  float track_bias;             /* TRACK_BIAS_SHORT or _LONG */
  float gain_nu;                /* tracking: GAIN_NU_SHORT or _LONG */
  int sub_frames;
  /* The tracked noise's bands (about a sixth of an octave, at least
   * two bins): bin edges, and each band's rise allowed from the next. */
  int n_bands;
  int *band_edge;
  float *band_bias;
  /* In stereo, per band: denoised as mid and side (else as left and
   * right; see MS_SIDE_RATIO_HI), and the mid's and side's power over KEEP_MS. */
  bool *band_ms;
  float *band_mid, *band_side;
  /* LOOKAHEAD (the short layer): its gains are those of the frame
   * LOOK_FRAMES back; per slot, whether the noise was known at that
   * frame, and in stereo its bands' bases; scratch of the
   * neighbourhood's mean excess. */
  bool look;
  bool look_on[LOOK_SLOTS];
  bool *look_ms;                /* [LOOK_SLOTS][n_bands] band_ms per slot */
  float *look_acc;
} Layer;

struct MstDenoise {
  int max_channels, channels;
  double rate_hz;
  size_t latency;
  MstDenoiseSettings set;
  Layer layer[N_LAYERS];
  /* The removals of both layers per channel, a ring over output frames:
   * the output is the dry input less them. */
  float *removed[MST_MAX_CHANNELS];
  size_t ring_mask;
  /* Scratch of a short hop: the short layer's removal in the onset band
   * less the long layer's (added to the removals in proportion to the
   * onset weight, so that around an onset the short layer takes the
   * band), and a layer's overlap-add of it. */
  float *xdiff, *xsum;
  /* Onset strength (0 .. 1) of each short frame, by frame index. */
  float *onset;
  int onset_lo, onset_hi;       /* short bins of the onset detector */
  int onset_pre, onset_post, onset_ramp;        /* frames */

  bool profile_on;
  /* The profile in use is set.profile_db's (not learned): read back as
   * given, its lowest bins holding the window's leakage only. */
  bool profile_given;
  /* The intro of learn_intro_s is being learned (from the reset on). */
  bool intro_learning;

  MstDelayLine *dry;
  void *scratch;                /* BLOCK cleaned frames, doubles */
  int fill;                     /* frames since the last short frame */
  bool draining;

  double gmin_db, gmin_target_db, gmin_coef;
  double mix, mix_target, mix_step;

  /* The floor when the stream's history was last cleared (-INFINITY:
   * none yet): what a drain's last message reports. */
  double floor_before_reset_db;

  uint64_t nonfinite;
};

void
mst_denoise_settings_default (MstDenoiseSettings * s)
{
  memset (s, 0, sizeof *s);
  s->reduction_db = 20.0;
  s->smoothing = 0.5;
  s->learn = false;
  s->learn_intro_s = 0.0;
  s->has_profile = false;
  s->bypass = false;
}

double
mst_denoise_band_hz (int band)
{
  /* IEC 61260-1:2014, base-two system: 1000 * 2^(x / 3), x = -17 .. 13. */
  return 1000.0 * pow (2.0, (band - 17) / 3.0);
}

static void
free_layer (Layer * L)
{
  mst_fft_free (L->fft);
  mst_fft_free_buffer (L->window_a);
  mst_fft_free_buffer (L->window_s);
  mst_fft_free_buffer (L->share);
  mst_fft_free_buffer (L->xshare);
  mst_fft_free_buffer (L->frame);
  mst_fft_free_buffer (L->spec);
  mst_fft_free_buffer (L->spec2);
  mst_fft_free_buffer (L->noise_mid);
  mst_fft_free_buffer (L->noise_side);
  mst_fft_free_buffer (L->spec3);
  mst_fft_free_buffer (L->spec4);
  for (int v = 0; v < 2; v++) {
    mst_fft_free_buffer (L->noise_v[v]);
    mst_fft_free_buffer (L->lasting_v[v]);
  }
  mst_fft_free_buffer (L->power);
  mst_fft_free_buffer (L->gain);
  mst_fft_free_buffer (L->tmp);
  mst_fft_free_buffer (L->snr);
  mst_fft_free_buffer (L->profile);
  free (L->learn_sum);
  free (L->band_edge);
  free (L->band_bias);
  free (L->band_ms);
  free (L->band_mid);
  free (L->band_side);
  mst_fft_free_buffer (L->look_acc);
  free (L->look_ms);
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    Channel *ch = &L->ch[c];
    mst_fft_free_buffer (ch->in);
    mst_fft_free_buffer (ch->ola);
    mst_fft_free_buffer (ch->xspec);
    mst_fft_free_buffer (ch->xtime);
    mst_fft_free_buffer (ch->smooth);
    mst_fft_free_buffer (ch->win_min);
    mst_fft_free_buffer (ch->stored_min);
    mst_fft_free_buffer (ch->sub_min);
    mst_fft_free_buffer (ch->noise);
    mst_fft_free_buffer (ch->clean2);
    mst_fft_free_buffer (ch->gain_t);
    mst_fft_free_buffer (ch->lasting);
    mst_fft_free_buffer (ch->lspec);
    mst_fft_free_buffer (ch->lpow);
    mst_fft_free_buffer (ch->lnoise);
    mst_fft_free_buffer (ch->lexcess);
  }
  memset (L, 0, sizeof *L);
}

static void
free_buffers (MstDenoise * dn)
{
  for (int l = 0; l < N_LAYERS; l++)
    free_layer (&dn->layer[l]);
  for (int c = 0; c < MST_MAX_CHANNELS; c++) {
    mst_fft_free_buffer (dn->removed[c]);
    dn->removed[c] = NULL;
  }
  mst_fft_free_buffer (dn->xdiff);
  mst_fft_free_buffer (dn->xsum);
  dn->xdiff = dn->xsum = NULL;
  mst_fft_free_buffer (dn->onset);
  dn->onset = NULL;
}

MstDenoise *
mst_denoise_init (int max_channels)
{
  if (max_channels < 1 || max_channels > MST_MAX_CHANNELS)
    return NULL;
  MstDenoise *dn = calloc (1, sizeof *dn);
  if (!dn)
    return NULL;
  dn->max_channels = max_channels;
  /* The dry path holds the latency and a piece (at most a short hop). */
  dn->dry = mst_delayline_init (max_channels, MAX_FFT + MAX_FFT / HOP_DIVISOR);
  dn->scratch = malloc (sizeof (double) * BLOCK * max_channels);
  if (!dn->dry || !dn->scratch)
    goto fail;
  mst_denoise_settings_default (&dn->set);
  if (mst_denoise_configure (dn, 48000, 1) != MST_OK)
    goto fail;
  return dn;

fail:
  mst_denoise_destroy (&dn);
  return NULL;
}

void
mst_denoise_destroy (MstDenoise ** dn)
{
  if (!dn || !*dn)
    return;
  free_buffers (*dn);
  mst_delayline_destroy (&(*dn)->dry);
  free ((*dn)->scratch);
  free (*dn);
  *dn = NULL;
}

static double
target_gmin_db (const MstDenoise * dn)
{
  return -dn->set.reduction_db;
}

static void
update_smoothing (MstDenoise * dn)
{
  for (int l = 0; l < N_LAYERS; l++) {
    Layer *L = &dn->layer[l];
    double tau_ms = dn->set.smoothing
        * (l == 0 ? GAIN_SMOOTH_MAX_MS_SHORT : GAIN_SMOOTH_MAX_MS);
    L->smooth_coef = tau_ms > 0 ? (float) (1.0 - exp (-L->hop
            / (dn->rate_hz * tau_ms * 1e-3))) : 1.0f;
  }
}

static void learn_start (MstDenoise * dn);

/* Channel states a layer keeps for @channels: stereo has four, left,
 * right, mid and side (see MS_SIDE_RATIO_HI); the states past the channels hold no
 * input, only a tracker. */
static int
tracker_states (int channels)
{
  return channels >= 2 && channels < 4 ? 4 : channels;
}

/* The channels' noise tracker and gains start anew. */
static void
reset_tracking (Layer * L, int channels)
{
  for (int c = 0; c < tracker_states (channels); c++) {
    Channel *ch = &L->ch[c];
    memset (ch->clean2, 0, sizeof (float) * L->bins);
    memset (ch->noise, 0, sizeof (float) * L->bins);
    memset (ch->lasting, 0, sizeof (float) * L->bins);
    for (int k = 0; k < L->bins; k++) {
      ch->gain_t[k] = 1.0f;
      ch->stored_min[k] = FLT_MAX;
      ch->win_min[k] = FLT_MAX;
    }
    for (int k = 0; k < L->bins * SUBWINDOWS; k++)
      ch->sub_min[k] = FLT_MAX;
  }
  L->sub_count = L->sub_index = 0;
  L->tracking_started = false;
  for (int b = 0; b < L->n_bands; b++) {
    L->band_ms[b] = true;
    L->band_mid[b] = L->band_side[b] = 0.0f;
  }
}

static void
reset_layer (Layer * L, int channels)
{
  for (int c = 0; c < channels; c++) {
    Channel *ch = &L->ch[c];
    memset (ch->in, 0, sizeof (float) * L->n);
    memset (ch->ola, 0, sizeof (float) * L->n);
    for (int s = 0; s < XCACHE; s++)
      ch->xtime_frame[s] = -1;
  }
  reset_tracking (L, channels);
  L->frames_done = 0;
  memset (L->look_on, 0, sizeof L->look_on);
}

void
mst_denoise_reset (MstDenoise * dn)
{
  if (!dn || !dn->layer[0].n)
    return;
  if (dn->layer[0].tracking_started || dn->profile_on)
    dn->floor_before_reset_db = mst_denoise_get_noise_floor (dn);
  mst_delayline_reset (dn->dry);
  for (int l = 0; l < N_LAYERS; l++)
    reset_layer (&dn->layer[l], dn->channels);
  for (int c = 0; c < dn->channels; c++)
    memset (dn->removed[c], 0, sizeof (float) * (dn->ring_mask + 1));
  memset (dn->onset, 0, sizeof (float) * ONSET_RING);
  dn->fill = 0;
  dn->draining = false;
  dn->gmin_db = dn->gmin_target_db = target_gmin_db (dn);
  dn->mix = dn->mix_target = dn->set.bypass ? 0.0 : 1.0;
  /* Each stream's intro is learned anew (a learning by the learn flag
   * goes on). */
  dn->intro_learning = dn->set.learn_intro_s > 0;
  if (dn->intro_learning && !dn->set.learn)
    learn_start (dn);
}

/* The long layer's share of the removal at @f_hz: 1 under XO_LO_HZ, 0
 * over XO_HI_HZ, a raised cosine over log frequency between. */
static double
long_share (double f_hz)
{
  if (f_hz <= XO_LO_HZ)
    return 1.0;
  if (f_hz >= XO_HI_HZ)
    return 0.0;
  double x = log (f_hz / XO_LO_HZ) / log (XO_HI_HZ / XO_LO_HZ);
  return 0.5 + 0.5 * cos (M_PI * x);
}

/* @n points, the output @latency frames behind the input, which arrives a
 * short hop (@piece frames) at a time. */
static bool
alloc_layer (Layer * L, int n, int channels, int latency, int piece,
    double window_exponent, bool look)
{
  int bins = n / 2 + 1;
  /* The frames over an output frame end at most latency + piece frames
   * after it; a margin of one. */
  L->xslots = (latency + piece) / (n / HOP_DIVISOR) + HOP_DIVISOR + 2;
  L->xstride = (bins + 7) & ~7;
  bool ok = (L->fft = mst_fft_new_real (n)) != NULL;
  ok = ok && (L->window_a = mst_fft_alloc_real (n));
  ok = ok && (L->window_s = mst_fft_alloc_real (n));
  ok = ok && (L->share = mst_fft_alloc_real (bins));
  ok = ok && (L->xshare = mst_fft_alloc_real (bins));
  ok = ok && (L->frame = mst_fft_alloc_real (n));
  ok = ok && (L->spec = mst_fft_alloc_complex (bins));
  ok = ok && (L->spec2 = mst_fft_alloc_complex (bins));
  ok = ok && (L->noise_mid = mst_fft_alloc_real (bins));
  ok = ok && (L->noise_side = mst_fft_alloc_real (bins));
  ok = ok && (L->spec3 = mst_fft_alloc_complex (bins));
  ok = ok && (L->spec4 = mst_fft_alloc_complex (bins));
  for (int v = 0; v < 2; v++) {
    ok = ok && (L->noise_v[v] = mst_fft_alloc_real (bins));
    ok = ok && (L->lasting_v[v] = mst_fft_alloc_real (bins));
  }
  ok = ok && (L->power = mst_fft_alloc_real (bins + 2));
  ok = ok && (L->gain = mst_fft_alloc_real (bins + 2));
  ok = ok && (L->tmp = mst_fft_alloc_real (bins + 2));
  ok = ok && (L->snr = mst_fft_alloc_real (bins + 2));
  ok = ok && (L->profile = mst_fft_alloc_real (bins));
  ok = ok && (L->learn_sum = calloc (bins, sizeof (double)));
  ok = ok && (L->band_edge = calloc (bins + 1, sizeof (int)));
  ok = ok && (L->band_bias = calloc (bins, sizeof (float)));
  ok = ok && (L->band_ms = calloc (bins, sizeof (bool)));
  ok = ok && (L->band_mid = calloc (bins, sizeof (float)));
  ok = ok && (L->band_side = calloc (bins, sizeof (float)));
  if (look) {
    ok = ok && (L->look_acc = mst_fft_alloc_real (bins + 2));
    ok = ok && (L->look_ms = calloc ((size_t) bins * LOOK_SLOTS,
            sizeof (bool)));
  }
  for (int c = 0; ok && c < tracker_states (channels); c++) {
    Channel *ch = &L->ch[c];
    ok = ok && (ch->in = mst_fft_alloc_real (n));
    ok = ok && (ch->ola = mst_fft_alloc_real (n));
    ok = ok && (ch->xspec = mst_fft_alloc_complex ((size_t) L->xstride
            * L->xslots));
    ok = ok && (ch->xtime = mst_fft_alloc_real ((size_t) n * XCACHE));
    ok = ok && (ch->smooth = mst_fft_alloc_real (bins));
    ok = ok && (ch->win_min = mst_fft_alloc_real (bins));
    ok = ok && (ch->stored_min = mst_fft_alloc_real (bins));
    ok = ok && (ch->sub_min = mst_fft_alloc_real ((size_t) bins
            * SUBWINDOWS));
    ok = ok && (ch->noise = mst_fft_alloc_real (bins));
    ok = ok && (ch->clean2 = mst_fft_alloc_real (bins));
    ok = ok && (ch->gain_t = mst_fft_alloc_real (bins));
    ok = ok && (ch->lasting = mst_fft_alloc_real (bins));
    if (look) {
      ok = ok && (ch->lspec = mst_fft_alloc_complex ((size_t) bins
              * LOOK_SLOTS));
      ok = ok && (ch->lpow = mst_fft_alloc_real ((size_t) bins * LOOK_SLOTS));
      ok = ok && (ch->lnoise = mst_fft_alloc_real ((size_t) bins
              * LOOK_SLOTS));
      ok = ok && (ch->lexcess = mst_fft_alloc_real ((size_t) bins
              * LOOK_SLOTS));
    }
  }
  if (!ok)
    return false;
  L->n = n;
  L->bins = bins;
  int nb = 0, e = 0;
  while (e < bins) {
    L->band_edge[nb] = e;
    int next = (int) ceil (e * BAND_RATIO);
    next = next < e + 2 ? e + 2 : next;
    /* The rise allowed from the band above to this one: the slope over
     * the distance of their centres, in octaves. */
    double up = log2 (fmax (1.0, (next + fmin (next * BAND_RATIO,
                    bins)) / 2.0) / fmax (0.5, (e + next) / 2.0));
    L->band_bias[nb] = (float) pow (10.0, SLOPE_DB_PER_OCTAVE * up / 10.0);
    nb++;
    e = next;
  }
  L->band_edge[nb] = bins;
  L->n_bands = nb;
  L->window_power = 0;
  for (int i = 0; i < n; i++) {
    double hann = 0.5 - 0.5 * cos (2.0 * M_PI * i / n);
    double a = window_exponent == 0.5 ? sqrt (hann)
        : pow (hann, window_exponent);
    L->window_a[i] = (float) a;
    /* Hann copies hop apart sum to N / (2 hop) = 2; the transforms
     * multiply by N. */
    L->window_s[i] = (float) ((a > 0 ? hann / a : 0.0) / (2.0 * n));
    L->window_power += (double) L->window_a[i] * L->window_a[i];
  }
  for (int j = 0; j <= LEAK_STEPS; j++) {
    /* The DTFT at j / LEAK_STEPS_PER_BIN bins, its phasor rotated a
     * sample at a time (renewed every 1024 against the rounding). */
    double step = 2.0 * M_PI * j / ((double) LEAK_STEPS_PER_BIN * n);
    double re = 0, im = 0, c = 1, s = 0;
    const double dc = cos (step), ds = sin (step);
    for (int i = 0; i < n; i++) {
      if ((i & 1023) == 0) {
        c = cos (step * i);
        s = sin (step * i);
      }
      re += L->window_a[i] * c;
      im += L->window_a[i] * s;
      double t = c * dc - s * ds;
      s = s * dc + c * ds;
      c = t;
    }
    L->leak_response[j] = re * re + im * im;
  }
  return true;
}

/* The layers' shares of the removal at the rate: the long layer's under
 * the crossover, the short layer's the rest. */
static void
layer_rate (MstDenoise * dn, Layer * L, bool is_long, double rate_hz)
{
  L->hop = L->n / HOP_DIVISOR;
  L->dd_weight = is_long ? DD_WEIGHT_LONG : DD_WEIGHT_SHORT;
  L->dd_weight_profile = is_long ? DD_WEIGHT_PROFILE_LONG
      : DD_WEIGHT_PROFILE_SHORT;
  L->keep_partials = is_long;
  L->look = !is_long;
  L->pres_lo = is_long ? PRES_LO_LONG : PRES_LO_SHORT;
  L->pres_hi = is_long ? PRES_HI_LONG : PRES_HI_SHORT;
  L->pres_cap = is_long ? PRES_SNR_CAP_LONG : FLT_MAX;
  L->open_below_profile = is_long ? OPEN_BELOW_PROFILE_LONG : OPEN_BELOW;
  L->active = 0;
  for (int k = 0; k < L->bins; k++) {
    double f = k * rate_hz / L->n;
    double s = long_share (f);
    L->share[k] = (float) (is_long ? s : 1.0 - s);
    if (L->share[k] > 0)
      L->active = k + 1;
    double up = f >= ONSET_XO_HZ ? 1.0 : f <= ONSET_XO_HZ / M_SQRT2 ? 0.0
        : 0.5 - 0.5 * cos (M_PI * 2.0 * log2 (f * M_SQRT2 / ONSET_XO_HZ));
    L->xshare[k] = (float) (s * up);
  }
  L->xk0 = L->xk1 = 0;
  for (int k = L->bins - 1; k >= 0; k--)
    if (L->xshare[k] > 0) {
      L->xk1 = L->xk1 ? L->xk1 : k + 1;
      L->xk0 = k;
    }
  L->track_coef = (float) exp (-L->hop / (rate_hz * (is_long
              ? TRACK_SMOOTH_MS_LONG : TRACK_SMOOTH_MS_SHORT) * 1e-3));
  L->keep_coef = (float) exp (-L->hop / (rate_hz * KEEP_MS * 1e-3));
  L->track_bias = is_long ? TRACK_BIAS_LONG : TRACK_BIAS_SHORT;
  L->gain_nu = is_long ? GAIN_NU_LONG : GAIN_NU_SHORT;
  L->sub_frames = (int) fmax (1.0, round ((is_long ? TRACK_SPAN_MS_LONG
              : TRACK_SPAN_MS_SHORT) * 1e-3 * rate_hz
          / L->hop / SUBWINDOWS));
  (void) dn;
}

MstResult
mst_denoise_configure (MstDenoise * dn, double rate_hz, int channels)
{
  if (!dn || !(rate_hz >= MST_MIN_RATE_HZ && rate_hz <= MST_MAX_RATE_HZ)
      || channels < 1 || channels > dn->max_channels)
    return MST_ERR_INVALID_ARG;
  int n = 256;
  while (n < rate_hz * FRAME_S && n < MAX_FFT / LONG_RATIO)
    n *= 2;
  if (n != dn->layer[0].n || channels > dn->channels) {
    free_buffers (dn);
    int n_long = n * LONG_RATIO;
    size_t ring = 1;
    while (ring < 2 * (size_t) n_long)
      ring <<= 1;
    const int hop = n / HOP_DIVISOR;
    bool ok = alloc_layer (&dn->layer[0], n, channels, n_long - 1, hop,
        WINDOW_EXPONENT_SHORT, true)
        && alloc_layer (&dn->layer[1], n_long, channels, n_long - 1, hop,
        WINDOW_EXPONENT_LONG, false);
    for (int c = 0; ok && c < channels; c++)
      ok = (dn->removed[c] = mst_fft_alloc_real (ring)) != NULL;
    ok = ok && (dn->xdiff = mst_fft_alloc_real (hop));
    ok = ok && (dn->xsum = mst_fft_alloc_real (hop));
    ok = ok && (dn->onset = mst_fft_alloc_real (ONSET_RING));
    if (!ok) {
      free_buffers (dn);
      dn->channels = 0;
      return MST_ERR_NOMEM;
    }
    dn->ring_mask = ring - 1;
    dn->profile_on = false;
    dn->floor_before_reset_db = -INFINITY;
  }
  dn->channels = channels;
  dn->rate_hz = rate_hz;
  layer_rate (dn, &dn->layer[0], false, rate_hz);
  layer_rate (dn, &dn->layer[1], true, rate_hz);
  dn->latency = (size_t) dn->layer[1].n - 1;
  {
    const Layer *S = &dn->layer[0];
    dn->onset_lo = (int) ceil (ONSET_LO_HZ * S->n / rate_hz);
    dn->onset_hi = (int) ceil (ONSET_HI_HZ * S->n / rate_hz);
    const double hop_ms = S->hop / rate_hz * 1e3;
    dn->onset_pre = dn->onset_post = (int) round (ONSET_HOLD_MS / hop_ms);
    dn->onset_ramp = (int) round (ONSET_RAMP_MS / hop_ms) + 1;
  }
  dn->nonfinite = 0;
  const int hop = dn->layer[0].hop;
  dn->gmin_coef = 1.0 - exp (-hop / (rate_hz * REDUCTION_GLIDE_MS * 1e-3));
  dn->mix_step = hop / (rate_hz * BYPASS_FADE_MS * 1e-3);
  update_smoothing (dn);
  mst_delayline_configure (dn->dry, channels);
  mst_denoise_reset (dn);
  return MST_OK;
}

/* Expected |X_k|^2 in layer @L of a density @db (dB re FS^2/Hz): white
 * noise of variance v has v sum (w^2) per bin and density 2 v / fs. */
static double
density_to_power (double rate_hz, const Layer * L, double db)
{
  return pow (10.0, db / 10.0) * rate_hz / 2.0 * L->window_power;
}

static double
power_to_density (double rate_hz, const Layer * L, double power)
{
  return 10.0 * log10 (fmax (power, 1e-300) * 2.0 / (rate_hz
          * L->window_power));
}

/* The profile's density at @f_hz, dB: interpolated over log frequency
 * between the bands' centres, the outer bands' values beyond them. */
static double
band_density_db (const double *db, double f_hz)
{
  double x = f_hz > 0 ? 3.0 * log2 (f_hz / 1000.0) + 17.0 : -1.0;
  if (x <= 0)
    return db[0];
  if (x >= MST_DENOISE_PROFILE_BANDS - 1)
    return db[MST_DENOISE_PROFILE_BANDS - 1];
  int b = (int) x;
  return db[b] + (x - b) * (db[b + 1] - db[b]);
}

/* The profile's bands onto each layer's bins: the expected periodogram
 * of a noise with the bands' density from the lowest band's lower edge
 * (PROFILE_LOW_EDGE_HZ) up and none under it. Where the density is
 * smooth that is the density at the bin (density_to_power); within
 * LEAK_BINS of the edge, the density (mirrored at 0 Hz, as a real
 * signal's) weighted by the analysis window's power response around the
 * bin (Layer.leak_response): what those bins hold of the noise is the
 * window's leakage from above the edge. */
static void
profile_from_bands (MstDenoise * dn, const double *db)
{
  for (int l = 0; l < N_LAYERS; l++) {
    Layer *L = &dn->layer[l];
    const double bin_hz = dn->rate_hz / L->n;
    for (int k = 0; k < L->bins; k++) {
      double f = k * bin_hz;
      double v;
      if (f >= PROFILE_LOW_EDGE_HZ + LEAK_BINS * bin_hz)
        v = band_density_db (db, f);
      else {
        double num = 0, den = 0;
        for (int i = -LEAK_STEPS; i <= LEAK_STEPS; i++) {
          double w = L->leak_response[abs (i)]
              * (abs (i) == LEAK_STEPS ? 0.5 : 1.0);
          double fi = fabs (f + i * bin_hz / LEAK_STEPS_PER_BIN);
          if (fi >= PROFILE_LOW_EDGE_HZ)
            num += w * pow (10.0, band_density_db (db, fi) / 10.0);
          den += w;
        }
        v = 10.0 * log10 (fmax (num / den, 1e-300));
      }
      L->profile[k] = (float) density_to_power (dn->rate_hz, L, v);
    }
  }
}

/* Expected |X|^2 at frequency @f_hz of @power (per bin of @L),
 * interpolated. */
static double
power_at (const MstDenoise * dn, const Layer * L, const float *power,
    double f_hz)
{
  double x = f_hz * L->n / dn->rate_hz;
  int k = (int) x;
  if (k >= L->bins - 1)
    return power[L->bins - 1];
  return power[k] + (x - k) * (power[k + 1] - power[k]);
}

static void
learn_start (MstDenoise * dn)
{
  for (int l = 0; l < N_LAYERS; l++) {
    memset (dn->layer[l].learn_sum, 0, sizeof (double) * dn->layer[l].bins);
    dn->layer[l].learn_count = 0;
  }
}

/* The average learned becomes the profile in use: each layer's mean
 * periodogram (a layer that saw no whole frame takes the short one's,
 * scaled to its length). */
static void
learn_adopt (MstDenoise * dn)
{
  Layer *S = &dn->layer[0];
  if (S->learn_count == 0)
    return;
  for (int l = 0; l < N_LAYERS; l++) {
    Layer *L = &dn->layer[l];
    for (int k = 0; k < L->bins; k++)
      L->profile[k] = L->learn_count > 0 ? (float) (L->learn_sum[k]
          / L->learn_count) : (float) (power_at (dn, S, S->profile,
              k * dn->rate_hz / L->n) * L->window_power / S->window_power);
  }
  dn->profile_on = true;
  dn->profile_given = false;
}

MstResult
mst_denoise_set (MstDenoise * dn, const MstDenoiseSettings * s)
{
  if (!dn || !s || !(s->reduction_db >= MST_DENOISE_MIN_REDUCTION_DB
          && s->reduction_db <= MST_DENOISE_MAX_REDUCTION_DB)
      || !(s->smoothing >= MST_DENOISE_MIN_SMOOTHING
          && s->smoothing <= MST_DENOISE_MAX_SMOOTHING)
      || !(s->learn_intro_s >= 0
          && s->learn_intro_s <= MST_DENOISE_MAX_LEARN_INTRO_S))
    return MST_ERR_INVALID_ARG;
  if (s->has_profile)
    for (int b = 0; b < MST_DENOISE_PROFILE_BANDS; b++)
      if (!(s->profile_db[b] >= MST_DENOISE_MIN_PROFILE_DB
              && s->profile_db[b] <= MST_DENOISE_MAX_PROFILE_DB))
        return MST_ERR_INVALID_ARG;
  const MstDenoiseSettings old = dn->set;
  dn->set = *s;
  bool fresh = mst_delayline_get_written (dn->dry) == 0;
  if (s->reduction_db != old.reduction_db) {
    dn->gmin_target_db = target_gmin_db (dn);
    if (fresh)
      dn->gmin_db = dn->gmin_target_db;
  }
  if (s->bypass != old.bypass) {
    dn->mix_target = s->bypass ? 0.0 : 1.0;
    if (fresh)
      dn->mix = dn->mix_target;
  }
  if (s->smoothing != old.smoothing)
    update_smoothing (dn);
  if (s->has_profile && (!old.has_profile || memcmp (s->profile_db,
              old.profile_db, sizeof s->profile_db) != 0)) {
    profile_from_bands (dn, s->profile_db);
    dn->profile_on = dn->profile_given = true;
  } else if (!s->has_profile && old.has_profile)
    dn->profile_on = false;
  if (s->learn && !old.learn) {
    learn_start (dn);
  } else if (!s->learn && old.learn)
    learn_adopt (dn);
  if (s->learn_intro_s != old.learn_intro_s && fresh) {
    dn->intro_learning = s->learn_intro_s > 0;
    if (dn->intro_learning && !s->learn)
      learn_start (dn);
  }
  return MST_OK;
}

size_t
mst_denoise_get_latency (const MstDenoise * dn)
{
  return dn ? dn->latency : 0;
}

int
mst_denoise_get_fft_size (const MstDenoise * dn)
{
  return dn ? dn->layer[0].n : 0;
}

int
mst_denoise_get_hop (const MstDenoise * dn)
{
  return dn ? dn->layer[0].hop : 0;
}

size_t
mst_denoise_get_pending (const MstDenoise * dn)
{
  return dn ? mst_delayline_get_pending (dn->dry) : 0;
}

uint64_t
mst_denoise_get_nonfinite_count (const MstDenoise * dn)
{
  return dn ? dn->nonfinite : 0;
}

bool
mst_denoise_has_profile (const MstDenoise * dn)
{
  return dn && dn->profile_on;
}

/* The noise in use per bin of the short layer into @out; false when there
 * is none yet. */
static bool
noise_in_use (const MstDenoise * dn, float *out)
{
  const Layer *L = &dn->layer[0];
  if (dn->profile_on) {
    memcpy (out, L->profile, sizeof (float) * L->bins);
    return true;
  }
  if (!L->tracking_started)
    return false;
  for (int k = 0; k < L->bins; k++) {
    float sum = 0;
    for (int c = 0; c < dn->channels; c++)
      sum += L->ch[c].noise[k];
    out[k] = sum / dn->channels;
  }
  return true;
}

double
mst_denoise_get_noise_floor (const MstDenoise * dn)
{
  if (!dn)
    return -INFINITY;
  const Layer *L = &dn->layer[0];
  if (!noise_in_use (dn, L->tmp))
    return dn->floor_before_reset_db;
  /* Parseval over the whole circle (the bins between 0 and N / 2 twice):
   * the frame's energy is sum |X|^2 / N, that of white noise of variance
   * v through the window v sum (w^2). */
  double sum = L->tmp[0] + L->tmp[L->bins - 1];
  for (int k = 1; k < L->bins - 1; k++)
    sum += 2.0 * L->tmp[k];
  double variance = sum / ((double) L->n * L->window_power);
  /* Digital silence: no noise at all, not the log of a clamp. */
  return variance > 0 ? 10.0 * log10 (variance) : -INFINITY;
}

MstResult
mst_denoise_get_profile (const MstDenoise * dn, double *profile_db)
{
  if (!dn || !profile_db || !noise_in_use (dn, dn->layer[0].tmp))
    return MST_ERR_INVALID_ARG;
  if (dn->profile_on && dn->profile_given) {
    memcpy (profile_db, dn->set.profile_db, sizeof dn->set.profile_db);
    return MST_OK;
  }
  const Layer *L = &dn->layer[0];
  for (int b = 0; b < MST_DENOISE_PROFILE_BANDS; b++) {
    double fc = mst_denoise_band_hz (b);
    double lo = fc * pow (2.0, -1.0 / 6.0), hi = fc * pow (2.0, 1.0 / 6.0);
    int k0 = (int) ceil (lo * L->n / dn->rate_hz);
    int k1 = (int) ceil (hi * L->n / dn->rate_hz);
    double sum = 0;
    int count = 0;
    for (int k = k0; k < k1 && k < L->bins; k++, count++)
      sum += L->tmp[k];
    double p = count > 0 ? sum / count : power_at (dn, L, L->tmp,
        fmin (fc, dn->rate_hz / 2));
    profile_db[b] = fmax (MST_DENOISE_MIN_PROFILE_DB,
        fmin (MST_DENOISE_MAX_PROFILE_DB, power_to_density (dn->rate_hz,
                L, p)));
  }
  return MST_OK;
}

/* ---- The per-bin loops (vectorised) ---------------------------------- */

MST_VECTORISE_AVX2
static void
window_frame (float *restrict out, const float *restrict in,
    const float *restrict w, int n)
{
  for (int i = 0; i < n; i++)
    out[i] = in[i] * w[i];
}

MST_VECTORISE_AVX2
static void
overlap_add (float *restrict ola, const float *restrict frame,
    const float *restrict w, int n)
{
  for (int i = 0; i < n; i++)
    ola[i] += frame[i] * w[i];
}

MST_VECTORISE_AVX2
static void
spectrum_power (float *restrict power, const MstFftComplex * restrict x,
    int bins)
{
  for (int k = 0; k < bins; k++)
    power[k] = x[k][0] * x[k][0] + x[k][1] * x[k][1];
}

/* The tracker's step: the power smoothed over three bins and over time,
 * and its running minimum. */
MST_VECTORISE_AVX2
static void
track_power (float *restrict smooth, float *restrict win_min,
    const float *restrict power, float coef, bool first, int bins)
{
  const float keep = first ? 0.0f : coef, take = 1.0f - keep;
  /* The edges mirror their inner neighbour; the loop between has no
   * branch, so it vectorises. */
  float p0 = 0.5f * (power[0] + power[1]);
  float pn = 0.5f * (power[bins - 1] + power[bins - 2]);
  for (int k = 1; k < bins - 1; k++) {
    float p = 0.25f * (power[k - 1] + power[k + 1]) + 0.5f * power[k];
    float s = keep * smooth[k] + take * p;
    smooth[k] = s;
    win_min[k] = win_min[k] < s ? win_min[k] : s;
  }
  smooth[0] = keep * smooth[0] + take * p0;
  smooth[bins - 1] = keep * smooth[bins - 1] + take * pn;
  win_min[0] = win_min[0] < smooth[0] ? win_min[0] : smooth[0];
  win_min[bins - 1] = win_min[bins - 1] < smooth[bins - 1]
      ? win_min[bins - 1] : smooth[bins - 1];
}

MST_VECTORISE_AVX2
static void
track_noise (float *restrict noise, const float *restrict stored_min,
    const float *restrict win_min, float bias, int bins)
{
  for (int k = 0; k < bins; k++) {
    float m = stored_min[k] < win_min[k] ? stored_min[k] : win_min[k];
    noise[k] = bias * m;
  }
}

/* Hiss is smooth over frequency and never rises towards the bass faster
 * than SLOPE_DB_PER_OCTAVE (pink noise: 3; 4.5 gained 0.5 to 1 dB of SDR
 * over 6 on the benchmark's music, the margin kept for hiss a little
 * steeper than pink); music's held partials and its
 * bass line, which a minimum over 1.5 s takes for noise where they never
 * pause, do. So the bands' mean noise is limited, from the top band down,
 * to the band above it raised by the slope, and each bin to twice (3 dB,
 * room for the bins' own scatter) its band's. */
static void
slope_limit_noise (const Layer * dn, float *restrict noise,
    float *restrict band_mean, int n_bands)
{
  for (int b = 0; b < n_bands; b++) {
    int k0 = dn->band_edge[b], k1 = dn->band_edge[b + 1];
    float sum = 0;
    for (int k = k0; k < k1; k++)
      sum += noise[k];
    band_mean[b] = sum / (k1 - k0);
  }
  for (int b = n_bands - 2; b >= 0; b--) {
    float cap = band_mean[b + 1] * dn->band_bias[b];
    band_mean[b] = band_mean[b] < cap ? band_mean[b] : cap;
  }
  for (int b = 0; b < n_bands; b++) {
    float cap = 2.0f * band_mean[b];
    for (int k = dn->band_edge[b]; k < dn->band_edge[b + 1]; k++)
      noise[k] = noise[k] < cap ? noise[k] : cap;
  }
}

/* max (d, 0) without a comparison: GCC (with the default
 * -ftrapping-math) does not vectorise a loop where a selected value
 * reaches a division; (d + |d|) / 2 is exact. */
static inline float
positive_part (float d)
{
  return 0.5f * (d + fabsf (d));
}

/* Decision-directed a priori SNR and the Wiener gain into @gain; the
 * clean power estimate for the next frame into @clean2. */
MST_VECTORISE_AVX2
static void
wiener_gains (float *restrict gain, float *restrict clean2,
    float *restrict snr, const float *restrict power,
    const float *restrict noise, float nu, float dd_weight, int bins)
{
  for (int k = 0; k < bins; k++) {
    float lambda = noise[k] + POWER_FLOOR;
    float gamma = power[k] / lambda;
    snr[k] = gamma;
    /* The gain's own view of the noise: nu times it. */
    float inv = 1.0f / (nu * lambda);
    gamma = power[k] * inv;
    float post = positive_part (gamma - 1.0f);
    float xi = dd_weight * clean2[k] * inv + (1.0f - dd_weight) * post;
    /* xi >= XI_MIN as g >= its Wiener gain (g grows with xi). */
    float g = xi / (1.0f + xi);
    g = G_XI_MIN + positive_part (g - G_XI_MIN);
    /* The second step of Plapous, Marro and Scalart ("Improved
     * signal-to-noise ratio estimation for speech enhancement", IEEE
     * Trans. ASLP 14(6), 2006): the a priori SNR again from this frame's
     * own estimate, without the decision-directed one-frame lag. */
    float xi2 = g * g * gamma;
    g = xi2 / (1.0f + xi2);
    gain[k] = g;
    clean2[k] = g * g * power[k];
  }
}

/* With a profile, the short layer's Wiener gains g = xi / (1 + xi) made
 * those of @scale xi, s xi / (1 + s xi) = s g / (1 + (s - 1) g) (see
 * OPEN_BELOW_PROFILE_LONG), and the clean power estimate that the next
 * frame's decision-directed SNR takes from them. */
MST_VECTORISE_AVX2
static void
gains_raised (float *restrict gain, float *restrict clean2,
    const float *restrict power, float scale, int bins)
{
  for (int k = 0; k < bins; k++) {
    float g = scale * gain[k] / (1.0f + (scale - 1.0f) * gain[k]);
    gain[k] = g;
    clean2[k] = g * g * power[k];
  }
}

/* The power over the noise, positive part: each frame's share of the
 * neighbourhood's mean (look_gains). */
MST_VECTORISE_AVX2
static void
power_excess (float *restrict excess, const float *restrict power,
    const float *restrict noise, int bins)
{
  for (int k = 0; k < bins; k++)
    excess[k] = positive_part (power[k] - noise[k]);
}

MST_VECTORISE_AVX2
static void
accumulate (float *restrict acc, const float *restrict x, int bins)
{
  for (int k = 0; k < bins; k++)
    acc[k] += x[k];
}

/* LOOKAHEAD: the Wiener gains of frame @m (spectrum power @power, noise
 * @noise) from its a priori SNR estimated over its neighbourhood: the
 * power over the noise of frames m - 1, m and m + 1 (@excess, slot f
 * modulo LOOK_SLOTS, those whose noise was known), their mean, smoothed
 * over three bins (1/4, 1/2, 1/4), over the noise seen by the gains (nu
 * times it); its floor XI_MIN. The a posteriori SNR into @snr. */
MST_VECTORISE_AVX2
static void
look_gains (Layer * L, float *restrict gain, float *restrict snr,
    const float *excess, int64_t m, const float *restrict power,
    const float *restrict noise, float nu, int bins)
{
  float *restrict acc = L->look_acc;
  int count = 0;
  memset (acc, 0, sizeof (float) * bins);
  for (int64_t f = m - LOOK_FRAMES; f <= m + LOOK_FRAMES; f++) {
    if (f < 0 || !L->look_on[f % LOOK_SLOTS])
      continue;
    accumulate (acc, excess + (size_t) (f % LOOK_SLOTS) * L->bins, bins);
    count++;
  }
  const float mean = 1.0f / (float) (count > 0 ? count : 1);
  /* The three-bin smoothing into @gain (the edges as they are), then the
   * gain in place. */
  gain[0] = acc[0];
  gain[bins - 1] = acc[bins - 1];
  for (int k = 1; k < bins - 1; k++)
    gain[k] = 0.25f * (acc[k - 1] + acc[k + 1]) + 0.5f * acc[k];
  for (int k = 0; k < bins; k++) {
    float lambda = noise[k] + POWER_FLOOR;
    snr[k] = power[k] / lambda;
    float xi = gain[k] * mean / (nu * lambda);
    float g = xi / (1.0f + xi);
    gain[k] = G_XI_MIN + positive_part (g - G_XI_MIN);
  }
}

/* The tracker's power (50 ms) smoothed again over KEEP_MS: what the band
 * factor spares in the long layer. */
MST_VECTORISE_AVX2
static void
smooth_lasting (float *restrict lasting, const float *restrict smooth,
    float coef, int bins)
{
  for (int k = 0; k < bins; k++)
    lasting[k] = coef * lasting[k] + (1.0f - coef) * smooth[k];
}

/* The noise a partial is judged against (KEEP_NOISE_BINS): per bin, the
 * larger of its own and the mean over the 2 KEEP_NOISE_BINS + 1 bins
 * centred on it (fewer at the edges), into @wide. */
MST_VECTORISE_AVX2
static void
keep_noise (float *restrict wide, const float *restrict noise, int bins)
{
  const int h = KEEP_NOISE_BINS;
  const float inv = 1.0f / (2 * h + 1);
  for (int k = h; k < bins - h; k++) {
    float sum = 0;
    for (int i = -h; i <= h; i++)
      sum += noise[k + i];
    float mean = sum * inv;
    wide[k] = noise[k] + positive_part (mean - noise[k]);
  }
  for (int k = 0; k < bins; k++) {
    if (k >= h && k < bins - h)
      continue;
    int a = k - h > 0 ? k - h : 0, z = k + h < bins - 1 ? k + h : bins - 1;
    float sum = 0;
    for (int i = a; i <= z; i++)
      sum += noise[i];
    float mean = sum / (z - a + 1);
    wide[k] = mean > noise[k] ? mean : noise[k];
  }
}

/* Where a band (a sixth of an octave) holds noise alone, its gains go to
 * the floor: the twinkles of the residual are single bins whose a
 * posteriori SNR rose by chance, which the band's mean does not follow.
 * Each bin's SNR counts up to @cap in the mean (PRES_SNR_CAP_LONG).
 * @wide: scratch for keep_noise. */
static void
band_presence (const Layer * dn, int bins, float *restrict gain,
    const float *restrict snr, const float *restrict smooth,
    const float *restrict noise, float cap, float *restrict wide)
{
  if (dn->keep_partials)
    keep_noise (wide, noise, bins);
  for (int b = 0; b < dn->n_bands && dn->band_edge[b] < bins; b++) {
    int k0 = dn->band_edge[b], k1 = dn->band_edge[b + 1];
    k1 = k1 < bins ? k1 : bins;
    int lo = k0, hi = k1;
    while (hi - lo < PRES_MIN_BINS) {
      lo = lo > 0 ? lo - 1 : lo;
      hi = hi < dn->bins ? hi + 1 : hi;
      if (lo == 0 && hi == dn->bins)
        break;
    }
    float sum = 0;
    for (int k = lo; k < hi; k++)
      sum += snr[k] < cap ? snr[k] : cap;
    float mean = sum / (hi - lo);
    float p = (mean - dn->pres_lo) / (dn->pres_hi - dn->pres_lo);
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    if (!dn->keep_partials) {
      for (int k = k0; k < k1; k++)
        gain[k] *= p;
      continue;
    }
    for (int k = k0; k < k1; k++) {
      float q = (smooth[k] / (wide[k] + POWER_FLOOR) - KEEP_LO)
          / (KEEP_HI - KEEP_LO);
      q = q < 0 ? 0 : q > 1 ? 1 : q;
      gain[k] *= p + (1.0f - p) * q;
    }
  }
}

/* The gains' opening over three bins (erosion then dilation), blended in
 * by @amount where the gain is under @open_below, then the time
 * smoothing, the floor and the wet amount. */
MST_VECTORISE_AVX2
static void
finish_gains (float *restrict gain, float *restrict gain_t,
    float *restrict eroded, float amount, float coef, float floor_lin,
    float mix, float open_below, int bins)
{
  /* e[k] for k = -1 .. bins (@eroded has room): the edges repeat. The
   * minima, maxima and selections here are arithmetic (positive_part):
   * with -ftrapping-math GCC vectorises no loop with a float comparison
   * that is not a plain choice between two loads. */
  float *restrict e = eroded + 1;
  for (int k = 1; k < bins - 1; k++) {
    float a = gain[k] - positive_part (gain[k] - gain[k - 1]);
    e[k] = a - positive_part (a - gain[k + 1]);
  }
  e[0] = fminf (gain[0], gain[1]);
  e[bins - 1] = fminf (gain[bins - 1], gain[bins - 2]);
  e[-1] = e[0];
  e[bins] = e[bins - 1];
  for (int k = 0; k < bins; k++) {
    float opened = e[k] + positive_part (e[k - 1] - e[k]);
    opened += positive_part (e[k + 1] - opened);
    /* Where the SNR is low only, fully at gain 0, not at all from
     * OPEN_BELOW up: a partial's gain is high and kept. */
    float low = positive_part (open_below - gain[k]) * (1.0f / open_below);
    float g = gain[k] + low * amount * (opened - gain[k]);
    /* Up at once (an onset keeps its attack), down smoothly: the larger
     * of g and the release step towards it. */
    float released = gain_t[k] + coef * (g - gain_t[k]);
    float t = released + positive_part (g - released);
    gain_t[k] = t;
    t = floor_lin + positive_part (t - floor_lin);
    gain[k] = 1.0f - mix * (1.0f - t);
  }
}


/* This layer's share of what the gains take out: the spectrum times
 * share (1 - g), over the active bins; nothing beyond. */
MST_VECTORISE_AVX2
static void
apply_removal (MstFftComplex * restrict x, const float *restrict gain,
    const float *restrict share, int active, int bins)
{
  for (int k = 0; k < active; k++) {
    float r = share[k] * (1.0f - gain[k]);
    x[k][0] *= r;
    x[k][1] *= r;
  }
  for (int k = active; k < bins; k++)
    x[k][0] = x[k][1] = 0.0f;
}

/* The removal of the onset band (share @xshare, not 0 from bin @k0 to
 * @k1 - 1) into @y, there only, before apply_removal overwrites @x. */
MST_VECTORISE_AVX2
static void
onset_removal (MstFftComplex * restrict y, const MstFftComplex * restrict x,
    const float *restrict gain, const float *restrict xshare, int k0, int k1)
{
  for (int k = k0; k < k1; k++) {
    float r = xshare[k] * (1.0f - gain[k]);
    y[k][0] = x[k][0] * r;
    y[k][1] = x[k][1] * r;
  }
}

/* Spectral flux of the short frame in the onset band: this frame's rise
 * over the tracker's smoothed power (before this frame), relative to it. */
static float
onset_flux (const float *restrict power, const float *restrict smooth,
    int k0, int k1)
{
  float rise = 0, base = POWER_FLOOR;
  for (int k = k0; k < k1; k++) {
    rise += positive_part (power[k] - smooth[k]);
    base += smooth[k];
  }
  return rise / base;
}

/* ---- Frames ---------------------------------------------------------- */

static void
track_subwindow (Layer * L, int channels)
{
  /* A sub-window ends: its minimum replaces the oldest, and the minimum
   * over the stored ones is kept for the frames until the next. */
  const int bins = L->bins;
  for (int c = 0; c < channels; c++) {
    Channel *ch = &L->ch[c];
    float *slot = ch->sub_min + (size_t) L->sub_index * bins;
    memcpy (slot, ch->win_min, sizeof (float) * bins);
    for (int k = 0; k < bins; k++)
      ch->win_min[k] = FLT_MAX;
    for (int k = 0; k < bins; k++) {
      float m = ch->sub_min[k];
      for (int u = 1; u < SUBWINDOWS; u++) {
        float v = ch->sub_min[(size_t) u * bins + k];
        m = v < m ? v : m;
      }
      ch->stored_min[k] = m;
    }
  }
  L->sub_index = (L->sub_index + 1) % SUBWINDOWS;
}

/* Channel @c's removal spectrum @x (overwritten) into its overlap-add;
 * the hop completed: output frames p0 .. p0 + hop - 1, those of the
 * stream (p >= 0), into the ring. */
static void
output_removal (MstDenoise * dn, Layer * L, int c, MstFftComplex * x,
    int64_t frame)
{
  Channel *ch = &L->ch[c];
  const int n = L->n, hop = L->hop;
  mst_fft_backward_real (L->fft, x, L->frame);
  overlap_add (ch->ola, L->frame, L->window_s, n);
  float *restrict ring = dn->removed[c];
  int64_t p0 = (frame + 1) * hop - n;
  for (int i = p0 < 0 ? (int) (p0 < -hop ? hop : -p0) : 0; i < hop; i++)
    ring[(size_t) (p0 + i) & dn->ring_mask] += ch->ola[i];
  memmove (ch->ola, ch->ola + hop, sizeof (float) * (n - hop));
  memset (ch->ola + n - hop, 0, sizeof (float) * hop);
}

/* The profile's noise @profile (each channel's, the same in both)
 * split between the mid and the side. With left and right noises of
 * power P and correlation rho, the mid's, (N_l + N_r) / 2, has
 * P (1 + rho) / 2, the side's P (1 - rho) / 2: half each when they are
 * independent (tape and preamp hiss), all in the mid when they are the
 * same; the two sum to P whatever rho. The side's share r = 1 - rho is
 * measured: the side's tracked noise @side_tracked (the side holds
 * little music, and a minimum over seconds finds its noise) over half
 * the profile, each bin's ratio at most SPLIT_RATIO_CAP (a partial
 * that never pauses), averaged over the bins (rho taken as the same at
 * all frequencies: per bin, the ratios' scatter read as correlation lost
 * 0.1 to 0.2 dB of SDR on pink hiss; the powers summed before the ratio
 * gave the lowest bins, where pink hiss's tracked noise reads low, the
 * say: pink hiss alone's residual 0.3 dB higher), r at most 1. Until
 * the tracker has a value (@tracked false) r is 0: all the noise in the
 * mid, as much as the channels one by one remove. */
static void
split_noise (const Layer * L, float *restrict mid, float *restrict side,
    const float *restrict profile, const float *restrict side_tracked,
    bool tracked, int bins)
{
  float sum = 0;
  int count = 0;
  for (int b = 0; b < L->n_bands && L->band_edge[b] < bins; b++) {
    if (!L->band_ms[b])
      continue;
    int k1 = L->band_edge[b + 1] < bins ? L->band_edge[b + 1] : bins;
    for (int k = L->band_edge[b]; k < k1; k++) {
      float q = side_tracked[k] / (0.5f * profile[k] + POWER_FLOOR);
      sum += q < SPLIT_RATIO_CAP ? q : SPLIT_RATIO_CAP;
    }
    count += k1 - L->band_edge[b];
  }
  float r = tracked && count > 0 ? sum / count : 0.0f;
  r = r < 1.0f ? r : 1.0f;
  for (int k = 0; k < bins; k++) {
    side[k] = r * 0.5f * profile[k];
    mid[k] = profile[k] - side[k];
  }
}

/* Per band (a sixth of an octave), mid and side or left and right: the
 * music's power in the side over that in the mid (the powers of the mid
 * and side spectra @a, @b summed over the band and smoothed over KEEP_MS
 * by @coef, less their noise @mid, @side) under MS_SIDE_RATIO_LO turns
 * the band to mid and side, over MS_SIDE_RATIO_HI to left and right
 * (the comment at MS_SIDE_RATIO_HI says why). */
static void
choose_bases (Layer * L, const MstFftComplex * restrict a,
    const MstFftComplex * restrict b, const float *restrict mid,
    const float *restrict side, float coef, int bins)
{
  const float lo = MS_SIDE_RATIO_LO, hi = MS_SIDE_RATIO_HI;
  for (int band = 0; band < L->n_bands && L->band_edge[band] < bins; band++) {
    int k1 = L->band_edge[band + 1] < bins ? L->band_edge[band + 1] : bins;
    float pm = 0, ps = 0, nm = 0, ns = 0;
    for (int k = L->band_edge[band]; k < k1; k++) {
      pm += a[k][0] * a[k][0] + a[k][1] * a[k][1];
      ps += b[k][0] * b[k][0] + b[k][1] * b[k][1];
      nm += mid[k];
      ns += side[k];
    }
    L->band_mid[band] = coef * L->band_mid[band] + (1.0f - coef) * pm;
    L->band_side[band] = coef * L->band_side[band] + (1.0f - coef) * ps;
    float music_m = L->band_mid[band] - nm;
    float music_s = L->band_side[band] - ns;
    music_s = music_s > 0 ? music_s : 0;
    if (music_m <= 0)
      continue;
    if (L->band_ms[band] && music_s > hi * music_m)
      L->band_ms[band] = false;
    else if (!L->band_ms[band] && music_s < lo * music_m)
      L->band_ms[band] = true;
  }
}

/* The mid (a + b) / 2 into @m and the side (a - b) / 2 into @s of the
 * left and right spectra @a, @b. */
MST_VECTORISE_AVX2
static void
mid_side_of (MstFftComplex * restrict m, MstFftComplex * restrict d,
    const MstFftComplex * restrict a, const MstFftComplex * restrict b,
    int bins)
{
  for (int k = 0; k < bins; k++)
    for (int i = 0; i < 2; i++) {
      m[k][i] = 0.5f * (a[k][i] + b[k][i]);
      d[k][i] = 0.5f * (a[k][i] - b[k][i]);
    }
}

/* Mid and side spectra (removals) @a, @b back into left a + b and right
 * a - b, in place: 0 and 0 give 0 and 0, so a removal of nothing stays
 * nothing, bit for bit. */
MST_VECTORISE_AVX2
static void
from_mid_side (MstFftComplex * restrict a, MstFftComplex * restrict b,
    int k0, int k1)
{
  for (int k = k0; k < k1; k++)
    for (int i = 0; i < 2; i++) {
      float l = a[k][i] + b[k][i], r = a[k][i] - b[k][i];
      a[k][i] = l;
      b[k][i] = r;
    }
}

/* One frame of layer @L on every channel: the hop just completed. Its
 * removal is added to the ring for the output frames it completed. */
static void
layer_frame (MstDenoise * dn, Layer * L, bool learning, float floor_lin,
    float mix)
{
  const int n = L->n, bins = L->bins, act = L->active;
  /* Frames that begin before the stream's first frame see the zeros in
   * front of it: they neither train the tracker nor the profile; neither
   * does a drain's silence. */
  const bool whole = L->frames_done >= HOP_DIVISOR - 1 && !dn->draining;
  const bool ms = dn->channels == 2;
  const bool first_track = whole && !L->tracking_started;
  const float amount = (float) dn->set.smoothing;
  const bool is_short = L == &dn->layer[0];
  float flux = 0;
  if (whole)
    L->tracking_started = true;
  bool finite = true;

  if (ms) {
    /* States 0 .. 3 track left, right, mid and side. */
    MstFftComplex *xs[4] = { L->spec, L->spec2, L->spec3, L->spec4 };
    for (int c = 0; c < 2; c++) {
      window_frame (L->frame, L->ch[c].in, L->window_a, n);
      mst_fft_forward_real (L->fft, L->frame, xs[c]);
    }
    /* The trackers over the bands that reach the active bins only (the
     * long layer's 1600 Hz): their noise is needed there alone. */
    int nb = 0;
    while (nb < L->n_bands && L->band_edge[nb] < act)
      nb++;
    const int tb = L->band_edge[nb];
    mid_side_of (L->spec3, L->spec4, L->spec, L->spec2, tb);
    for (int t = 0; t < 4; t++) {
      Channel *ch = &L->ch[t];
      const int kb = whole && learning && t < 2 ? bins : tb;
      spectrum_power (L->power, xs[t], kb);
      if (t < 2 && is_short && whole && !first_track) {
        float f = onset_flux (L->power, ch->smooth, dn->onset_lo,
            dn->onset_hi);
        flux = f > flux ? f : flux;
      }
      if (whole) {
        track_power (ch->smooth, ch->win_min, L->power, L->track_coef,
            first_track, tb);
        track_noise (ch->noise, ch->stored_min, ch->win_min,
            L->track_bias, tb);
        slope_limit_noise (L, ch->noise, L->tmp, nb);
        if (L->keep_partials)
          smooth_lasting (ch->lasting, ch->smooth, first_track ? 0.0f
              : L->keep_coef, tb);
        if (learning && t < 2) {
          /* The profile is of each channel's noise. */
          for (int k = 0; k < bins; k++)
            L->learn_sum[k] += L->power[k];
        }
      }
    }
    const float *nz[4] = { L->ch[0].noise, L->ch[1].noise, L->ch[2].noise,
      L->ch[3].noise
    };
    if (dn->profile_on) {
      split_noise (L, L->noise_mid, L->noise_side, L->profile,
          L->ch[3].noise, L->tracking_started, act);
      nz[0] = nz[1] = L->profile;
      nz[2] = L->noise_mid;
      nz[3] = L->noise_side;
    }
    choose_bases (L, L->spec3, L->spec4, nz[2], nz[3], first_track ? 0.0f
        : L->keep_coef, act);
    for (int b = 0; b < L->n_bands && L->band_edge[b] < act; b++) {
      int k0 = L->band_edge[b];
      int k1 = L->band_edge[b + 1] < act ? L->band_edge[b + 1] : act;
      const int t = L->band_ms[b] ? 2 : 0;
      for (int v = 0; v < 2; v++) {
        memcpy (L->noise_v[v] + k0, nz[t + v] + k0, sizeof (float)
            * (k1 - k0));
        memcpy (L->lasting_v[v] + k0, L->ch[t + v].lasting + k0,
            sizeof (float) * (k1 - k0));
      }
      if (t) {
        memcpy (L->spec + k0, L->spec3 + k0, sizeof (MstFftComplex)
            * (k1 - k0));
        memcpy (L->spec2 + k0, L->spec4 + k0, sizeof (MstFftComplex)
            * (k1 - k0));
      }
    }
  }
  for (int c = 0; c < dn->channels; c++) {
    Channel *ch = &L->ch[c];
    MstFftComplex *x = ms && c ? L->spec2 : L->spec;
    if (!ms) {
      window_frame (L->frame, ch->in, L->window_a, n);
      mst_fft_forward_real (L->fft, L->frame, L->spec);
    }
    spectrum_power (L->power, x, bins);
    if (!ms && is_short && whole && !first_track) {
      float f = onset_flux (L->power, ch->smooth, dn->onset_lo,
          dn->onset_hi);
      flux = f > flux ? f : flux;
    }
    if (whole && !ms) {
      track_power (ch->smooth, ch->win_min, L->power, L->track_coef,
          first_track, bins);
      track_noise (ch->noise, ch->stored_min, ch->win_min, L->track_bias,
          bins);
      slope_limit_noise (L, ch->noise, L->tmp, L->n_bands);
      if (L->keep_partials)
        smooth_lasting (ch->lasting, ch->smooth, first_track ? 0.0f
            : L->keep_coef, bins);
      if (learning) {
        for (int k = 0; k < bins; k++)
          L->learn_sum[k] += L->power[k];
      }
    }
    const float *noise = ms ? L->noise_v[c] : dn->profile_on ? L->profile
        : ch->noise;
    const float *lasting = ms ? L->lasting_v[c] : ch->lasting;
    /* The frame denoised now, and its bands' bases. */
    int64_t fr = L->frames_done;
    const bool *band_ms = L->band_ms;
    if (L->look) {
      /* LOOKAHEAD: this frame kept, the one LOOK_FRAMES back denoised. */
      const bool on = dn->profile_on || L->tracking_started;
      const int64_t j = L->frames_done, m = j - LOOK_FRAMES;
      const size_t sj = (size_t) (j % LOOK_SLOTS) * bins;
      memcpy (ch->lspec + sj, x, sizeof (MstFftComplex) * bins);
      memcpy (ch->lpow + sj, L->power, sizeof (float) * bins);
      memcpy (ch->lnoise + sj, noise, sizeof (float) * bins);
      power_excess (ch->lexcess + sj, L->power, noise, act);
      L->look_on[j % LOOK_SLOTS] = on;
      if (ms && c == 0)
        memcpy (L->look_ms + (size_t) (j % LOOK_SLOTS) * L->n_bands,
            L->band_ms, sizeof (bool) * L->n_bands);
      if (m < 0)
        continue;
      const size_t sm = (size_t) (m % LOOK_SLOTS) * bins;
      memcpy (x, ch->lspec + sm, sizeof (MstFftComplex) * bins);
      fr = m;
      band_ms = L->look_ms + (size_t) (m % LOOK_SLOTS) * L->n_bands;
      if (L->look_on[m % LOOK_SLOTS]) {
        look_gains (L, L->gain, L->snr, ch->lexcess, m, ch->lpow + sm,
            ch->lnoise + sm, dn->profile_on ? GAIN_NU_PROFILE : L->gain_nu,
            act);
        band_presence (L, act, L->gain, L->snr, lasting, ch->lnoise + sm,
            dn->profile_on ? FLT_MAX : L->pres_cap, L->tmp);
        finish_gains (L->gain, ch->gain_t, L->tmp, amount, L->smooth_coef,
            floor_lin, mix, dn->profile_on ? L->open_below_profile
            : OPEN_BELOW, act);
      } else {
        for (int k = 0; k < act; k++)
          L->gain[k] = 1.0f;
      }
    } else if (!dn->profile_on && !L->tracking_started) {
      /* Nothing known of the noise yet: nothing removed. */
      for (int k = 0; k < act; k++)
        L->gain[k] = 1.0f;
    } else {
      wiener_gains (L->gain, ch->clean2, L->snr, L->power, noise,
          dn->profile_on ? GAIN_NU_PROFILE : L->gain_nu,
          dn->profile_on ? L->dd_weight_profile : L->dd_weight, act);
      if (dn->profile_on && is_short)
        gains_raised (L->gain, ch->clean2, L->power, PROFILE_XI_SCALE_SHORT,
            act);
      band_presence (L, act, L->gain, L->snr, lasting, noise,
          dn->profile_on ? FLT_MAX : L->pres_cap, L->tmp);
      finish_gains (L->gain, ch->gain_t, L->tmp, amount, L->smooth_coef,
          floor_lin, mix, dn->profile_on ? L->open_below_profile
          : OPEN_BELOW, act);
    }
    finite = finite && isfinite (L->gain[act / 2]) && isfinite (ch->gain_t[1]);
    onset_removal (ch->xspec + (size_t) (fr % L->xslots) * L->xstride, x,
        L->gain, L->xshare, L->xk0, L->xk1);
    apply_removal (x, L->gain, L->share, act, bins);
    if (ms && c == 0)
      continue;
    if (ms) {
      const size_t slot = (size_t) (fr % L->xslots) * L->xstride;
      for (int b = 0; b < L->n_bands; b++) {
        if (!band_ms[b])
          continue;
        int k0 = L->band_edge[b], k1 = L->band_edge[b + 1];
        from_mid_side (L->spec, L->spec2, k0, k1);
        int x0 = k0 > L->xk0 ? k0 : L->xk0, x1 = k1 < L->xk1 ? k1 : L->xk1;
        if (x0 < x1)
          from_mid_side (L->ch[0].xspec + slot, L->ch[1].xspec + slot, x0,
              x1);
      }
    }
    for (int o = ms ? 0 : c; o <= c; o++)
      output_removal (dn, L, o, ms && o ? L->spec2 : L->spec, fr);
  }
  for (int c = 0; c < dn->channels; c++)
    memmove (L->ch[c].in, L->ch[c].in + L->hop, sizeof (float) * (n - L->hop));

  if (is_short) {
    float st = (flux - ONSET_FLUX_LO) / (ONSET_FLUX_HI - ONSET_FLUX_LO);
    st = st < 0 ? 0 : st > 1 ? 1 : st;
    dn->onset[L->frames_done & (ONSET_RING - 1)] = st;
  }
  if (whole && learning)
    L->learn_count += dn->channels;
  if (whole && ++L->sub_count >= L->sub_frames) {
    L->sub_count = 0;
    track_subwindow (L, ms ? 4 : dn->channels);
  }
  L->frames_done++;
  if (!finite) {
    /* Cannot happen with the input within +-MST_MAX_INPUT; kept as the
     * pack's policy: state that went non-finite starts again. */
    for (int c = 0; c < dn->channels; c++) {
      Channel *ch = &L->ch[c];
      memset (ch->clean2, 0, sizeof (float) * bins);
      for (int k = 0; k < bins; k++)
        ch->gain_t[k] = 1.0f;
    }
  }
}

/* A short hop completed: the glides step, the short frame, and every
 * LONG_RATIO of them the long frame. */
static void
process_frames (MstDenoise * dn)
{
  Layer *S = &dn->layer[0];
  /* The intro: the frames that end within its first learn_intro_s
   * seconds. The first frame past it puts the average in use. */
  if (dn->intro_learning && S->frames_done >= HOP_DIVISOR - 1
      && !dn->draining && (S->frames_done + 1) * S->hop
      > (int64_t) (dn->set.learn_intro_s * dn->rate_hz)) {
    dn->intro_learning = false;
    if (!dn->set.learn)
      learn_adopt (dn);
  }
  const bool learning = dn->set.learn || dn->intro_learning;
  if (dn->gmin_db != dn->gmin_target_db) {
    dn->gmin_db += dn->gmin_coef * (dn->gmin_target_db - dn->gmin_db);
    if (fabs (dn->gmin_db - dn->gmin_target_db) < 0.01)
      dn->gmin_db = dn->gmin_target_db;
  }
  if (dn->mix != dn->mix_target) {
    dn->mix += dn->mix < dn->mix_target ? dn->mix_step : -dn->mix_step;
    if (fabs (dn->mix - dn->mix_target) < dn->mix_step * 0.5)
      dn->mix = dn->mix_target;
  }
  const float floor_lin = (float) mst_db_to_lin (dn->gmin_db);
  const float mix = (float) dn->mix;
  layer_frame (dn, S, learning, floor_lin, mix);
  if (S->frames_done % LONG_RATIO == 0)
    layer_frame (dn, &dn->layer[1], learning, floor_lin, mix);
}

/* Frame @j of layer @L's removal in the onset band, channel @c, as the
 * inverse transform gives it. Each is inverted once, when an output frame
 * under it first needs it: the transform overwrites the spectrum, and the
 * output asks for frames in order, at most HOP_DIVISOR at once, so the
 * XCACHE last are enough. */
static const float *
onset_frame (Layer * L, int c, int64_t j)
{
  Channel *ch = &L->ch[c];
  const int at = (int) (j % XCACHE);
  float *t = ch->xtime + (size_t) at * L->n;
  if (ch->xtime_frame[at] != j) {
    /* The spectrum scratch is free between frames. */
    const MstFftComplex *x = ch->xspec + (size_t) (j % L->xslots)
        * L->xstride;
    memset (L->spec, 0, sizeof (MstFftComplex) * L->bins);
    memcpy (L->spec + L->xk0, x + L->xk0, sizeof (MstFftComplex)
        * (L->xk1 - L->xk0));
    mst_fft_backward_real (L->fft, L->spec, t);
    ch->xtime_frame[at] = j;
  }
  return t;
}

/* The short layer's removal in the onset band less the long layer's at
 * output frames @p .. @p + @run - 1 (within one short hop) of channel @c:
 * each layer's HOP_DIVISOR frames over them overlap-added in the order
 * they came, and the two summed from 0 short first, as a ring of each
 * frame's removal would (the same result to the bit, and only where the
 * onset weight is not 0: away from onsets nothing is inverted). */
static const float *
onset_difference (MstDenoise * dn, int c, int64_t p, int run)
{
  float *restrict x = dn->xdiff, *restrict sum = dn->xsum;
  for (int l = 0; l < N_LAYERS; l++) {
    Layer *L = &dn->layer[l];
    /* Frame j covers the hops j + 1 - HOP_DIVISOR .. j. */
    const int64_t q = p / L->hop;
    const int at = (int) (p - q * L->hop);
    memset (sum, 0, sizeof (float) * run);
    for (int64_t j = q; j < q + HOP_DIVISOR; j++) {
      int off = (int) (q + HOP_DIVISOR - 1 - j) * L->hop + at;
      overlap_add (sum, onset_frame (L, c, j) + off, L->window_s + off, run);
    }
    if (l == 0)
      for (int i = 0; i < run; i++) {
        x[i] = 0.0f;
        x[i] += sum[i];
      }
    else
      for (int i = 0; i < run; i++)
        x[i] += -1.0f * sum[i];
  }
  return x;
}

/* The onset weight at output frame @b * hop: the largest of the short
 * frames' onset strengths, each held from onset_pre frames before its
 * frame's centre to onset_post after it, ramps of onset_ramp frames. */
static float
onset_weight (const MstDenoise * dn, int64_t b)
{
  const Layer *S = &dn->layer[0];
  const int half = HOP_DIVISOR / 2;
  float w = 0;
  int64_t h0 = b + half - 1 - dn->onset_post - dn->onset_ramp;
  int64_t h1 = b + half - 1 + dn->onset_pre + dn->onset_ramp;
  h0 = h0 > 0 ? h0 : 0;
  h0 = h0 > S->frames_done - ONSET_RING ? h0 : S->frames_done - ONSET_RING;
  h1 = h1 < S->frames_done - 1 ? h1 : S->frames_done - 1;
  for (int64_t h = h0; h <= h1; h++) {
    float s = dn->onset[h & (ONSET_RING - 1)];
    /* Frames after the onset frame's centre (negative: before). */
    int d = (int) (b - h - 1 + half);
    int out = d < -dn->onset_pre ? -dn->onset_pre - d
        : d > dn->onset_post ? d - dn->onset_post : 0;
    float t = 1.0f - (float) out / (float) dn->onset_ramp;
    t = t > 0 ? t : 0;
    s *= t;
    w = s > w ? s : w;
  }
  return w;
}

/* @n frames (n <= hop - fill) from @in (NULL: silence) into the dry delay
 * line and the layers' frames; the frames when the short hop completes;
 * then the output frames before @limit that are complete, into @out: the
 * dry input less the removals. Returns how many were written. */
static size_t
process_piece (MstDenoise * dn, const void *in, int n, void *out,
    int64_t limit, MstFormat fmt)
{
  const int nch = dn->channels;
  const size_t samples = (size_t) n * nch;
  const void *clean = in;
  Layer *S = &dn->layer[0], *Lg = &dn->layer[1];
  if (!in) {
    memset (dn->scratch, 0, samples * (fmt == MST_FORMAT_F64
            ? sizeof (double) : sizeof (float)));
    clean = dn->scratch;
  } else if (!mst_input_sane (in, samples, fmt)) {
    /* One vectorised scan; the copy only when something is wrong. */
    dn->nonfinite += mst_input_clean (in, samples, dn->scratch, fmt);
    clean = dn->scratch;
  }
  mst_delayline_push (dn->dry, clean, (size_t) n);
  const int at_s = S->n - S->hop + dn->fill;
  const int at_l = Lg->n - Lg->hop + (int) (S->frames_done % LONG_RATIO)
      * S->hop + dn->fill;
  for (int c = 0; c < nch; c++) {
    float *ds = S->ch[c].in + at_s, *dl = Lg->ch[c].in + at_l;
    if (fmt == MST_FORMAT_F64) {
      const double *src = (const double *) clean + c;
      for (int i = 0; i < n; i++)
        ds[i] = (float) src[(size_t) i * nch];
    } else {
      const float *src = (const float *) clean + c;
      for (int i = 0; i < n; i++)
        ds[i] = src[(size_t) i * nch];
    }
    memcpy (dl, ds, sizeof (float) * n);
  }
  dn->fill += n;
  if (dn->fill == S->hop) {
    process_frames (dn);
    dn->fill = 0;
  }

  /* Output: frames read .. written - latency - 1, up to @limit. */
  int64_t read = mst_delayline_get_read (dn->dry);
  int64_t end = mst_delayline_get_written (dn->dry) - (int64_t) dn->latency;
  if (end > limit)
    end = limit;
  if (end <= read)
    return 0;
  size_t count = (size_t) (end - read);
  mst_delayline_pull (dn->dry, out, count);
  const int hop = S->hop;
  float weight[MAX_FFT / LONG_RATIO / HOP_DIVISOR];
  for (size_t done = 0; done < count;) {
    int64_t p = read + (int64_t) done;
    size_t slot = (size_t) p & dn->ring_mask;
    size_t run = dn->ring_mask + 1 - slot;
    run = run < count - done ? run : count - done;
    int64_t b = p / hop;
    int at = (int) (p - b * hop);
    run = run < (size_t) (hop - at) ? run : (size_t) (hop - at);
    float w0 = onset_weight (dn, b), w1 = onset_weight (dn, b + 1);
    const bool moving = w0 > 0 || w1 > 0;
    for (size_t i = 0; i < run; i++)
      weight[i] = w0 + (w1 - w0) * (float) (at + (int) i) / (float) hop;
    for (int c = 0; c < nch; c++) {
      float *restrict r = dn->removed[c] + slot;
      if (moving) {
        const float *restrict x = onset_difference (dn, c, p, (int) run);
        for (size_t i = 0; i < run; i++)
          r[i] += weight[i] * x[i];
      }
      if (fmt == MST_FORMAT_F64) {
        double *restrict o = (double *) out + done * nch + c;
        for (size_t i = 0; i < run; i++)
          o[i * nch] -= r[i];
      } else {
        float *restrict o = (float *) out + done * nch + c;
        for (size_t i = 0; i < run; i++)
          o[i * nch] -= r[i];
      }
      memset (r, 0, sizeof (float) * run);
    }
    done += run;
  }
  return count;
}

MST_ALWAYS_INLINE MstResult
process (MstDenoise * dn, const void *in, size_t n_in, void *out,
    size_t *n_out, MstFormat fmt)
{
  if (!dn || !n_out || (n_in && (!in || !out)))
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  mst_delayline_set_format (dn->dry, fmt);
  const size_t bytes = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * dn->channels;
  size_t done = 0, written = 0;
  /* Output never overtakes input: in place is safe. */
  while (done < n_in) {
    size_t n = (size_t) (dn->layer[0].hop - dn->fill);
    n = n < n_in - done ? n : n_in - done;
    n = n < BLOCK ? n : BLOCK;
    written += process_piece (dn, (const char *) in + done * bytes, (int) n,
        (char *) out + written * bytes, INT64_MAX, fmt);
    done += n;
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  return MST_OK;
}

MST_ALWAYS_INLINE MstResult
drain (MstDenoise * dn, void *out, size_t *n_out, MstFormat fmt)
{
  if (!dn || !out || !n_out)
    return MST_ERR_INVALID_ARG;
  MstFpuState fpu = mst_fpu_enter_ftz ();
  mst_delayline_set_format (dn->dry, fmt);
  const size_t bytes = (fmt == MST_FORMAT_F64 ? sizeof (double)
      : sizeof (float)) * dn->channels;
  const int64_t end = mst_delayline_get_written (dn->dry);
  size_t written = 0;
  dn->draining = true;
  while (mst_delayline_get_read (dn->dry) < end) {
    int n = dn->layer[0].hop - dn->fill;
    n = n < BLOCK ? n : BLOCK;
    written += process_piece (dn, NULL, n, (char *) out + written * bytes,
        end, fmt);
  }
  mst_fpu_leave (fpu);
  *n_out = written;
  mst_denoise_reset (dn);
  return MST_OK;
}

MST_DEFINE_PROCESS_DELAYING (mst_denoise, MstDenoise, process, drain)

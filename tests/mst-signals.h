/* Deterministic test signals for the limiter's torture tests, plain C (no
 * GLib), written as interleaved float frames.
 *
 * Level convention: linear sample values, full scale = 1.0; "dBFS" is
 * 20 log10 of a linear value (peak or RMS as named), so the RMS of a
 * full-scale sine is -3.01 dBFS RMS and that of a full-scale square 0.
 *
 * Channel layout of the multi-channel generators: channel 0 gets the left
 * mix, 1 the right, and further channels alternate left/right; a mono
 * buffer gets (left + right) / 2. Generators whose content is the same on
 * every channel say so.
 *
 * The same arguments (seed included) give the same samples on every run and
 * machine that has IEEE doubles and a correctly rounded libm sin/exp (the
 * values may differ in the last float bit between libm versions).
 *
 * Link with libm. */
#ifndef MST_SIGNALS_H
#define MST_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Generated program music at 120 bpm in 2 s bars: a quiet part (the first
 * 35 % of @n_frames, rounded up to a beat: chords, a soft bass line and
 * hi-hats, about 16 dB lower in RMS) then a loud part (kick on every beat,
 * snare on 2 and 4, hi-hats, bass line, chords). Normalized so the sample
 * peak is -0.1 dBFS. Stereo: kick, snare and bass in the centre, chords and
 * hi-hats panned. Its true peak exceeds the sample peak a little (the
 * hi-hats reach high frequencies). About 0.1 s per 10 s of stereo.
 */
void mst_signal_music (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed);

/** mst_signal_music() driven @gain_db (the clipped master: +12)
 * then hard clipped at +-1.0. */
void mst_signal_clipped_master (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed, double gain_db);

/** Adds @n_clicks clicks at random places of @buf (seeded by @seed; at
 * least 10 ms apart, none in the first or last 50 ms): each lasts a random
 * 1 to 2 ms, starts with a sharp edge and decays (exp (-3 t / length)) over
 * uniform random noise, with a random peak amplitude between 0.05 and 0.5
 * (-26 to -6 dBFS), on every channel (each with its own noise and 0.5 to 1
 * of the amplitude), as a scratch on a record. The first frame of each
 * click goes to @starts (sorted; may be NULL). */
void mst_signal_add_clicks (float *buf, size_t n_frames, int channels,
    unsigned rate, size_t n_clicks, uint32_t seed, size_t *starts);

/** Square wave of @amplitude (1.0 = full scale) at @freq_hz, the same on
 * every channel, starting with the positive half period. Each half period
 * is rounded to whole samples from the exact phase (no band limiting: its
 * true peak is well above @amplitude). */
void mst_signal_square (float *out, size_t n_frames, int channels,
    unsigned rate, double freq_hz, double amplitude);

/** amplitude * sin (2 pi freq_hz t + phase_rad), the same on every
 * channel. */
void mst_signal_sine (float *out, size_t n_frames, int channels,
    unsigned rate, double freq_hz, double amplitude, double phase_rad);

/** A sine at fs/4 with a 45 degree phase offset: the samples alternate
 * +-amplitude / sqrt 2 in pairs, the true peak is @amplitude, 3.01 dB over
 * the sample peak. The same on every channel. */
void mst_signal_sine_fs4_45 (float *out, size_t n_frames, int channels,
    double amplitude);

/** Isolated single samples of +-@amplitude (alternating sign, starting
 * positive), one every @spacing_frames frames starting at frame
 * @spacing_frames / 2, silence elsewhere; the same on every channel. */
void mst_signal_impulses (float *out, size_t n_frames, int channels,
    size_t spacing_frames, double amplitude);

/** @silence_frames of silence, then amplitude * sin (2 pi freq_hz t +
 * phase_rad) from t = 0 at the first loud frame (phase pi / 2: it starts at
 * its crest, the hardest step). The same on every channel. */
void mst_signal_step_sine (float *out, size_t n_frames, int channels,
    unsigned rate, size_t silence_frames, double freq_hz, double amplitude,
    double phase_rad);

/** @silence_frames of silence, then the constant @level to the end; the
 * same on every channel. */
void mst_signal_step_dc (float *out, size_t n_frames, int channels,
    size_t silence_frames, double level);

/** Gaussian white noise of RMS @rms_dbfs (+20: RMS 10.0, peaks near 50),
 * independent on each channel. */
void mst_signal_white_noise (float *out, size_t n_frames, int channels,
    double rms_dbfs, uint32_t seed);

/** Gaussian pink noise (-3 dB per octave) of RMS @rms_dbfs, independent on
 * each channel. */
void mst_signal_pink_noise (float *out, size_t n_frames, int channels,
    double rms_dbfs, uint32_t seed);

/** Bass-heavy material for pumping checks: a sustained bass line of sines
 * between 41 and 58 Hz (one note per second, slow attack and release, a
 * little 2nd harmonic), a kick on every beat (120 bpm) and a soft 3 kHz
 * tick on the off-beats. Centre (same on both sides) except the tick.
 * Normalized to a -0.1 dBFS sample peak. */
void mst_signal_bass_heavy (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed);

/** Multiplies @n_samples values (all channels) by 10^(gain_db / 20). */
void mst_signal_apply_gain_db (float *buf, size_t n_samples, double gain_db);

/** Scales @n_samples values so the sample peak is @peak_dbfs; silence is
 * left alone. */
void mst_signal_normalize_peak (float *buf, size_t n_samples,
    double peak_dbfs);

/** Copies float samples to double. */
void mst_signal_to_f64 (const float *in, double *out, size_t n_samples);

/**
 * Writes @n_frames interleaved frames as a 32-bit float WAV
 * (WAVE_FORMAT_IEEE_FLOAT with a fact chunk; WAVE_FORMAT_EXTENSIBLE with the
 * usual channel mask above 2 channels), for listening and debugging.
 *
 * Returns: 0, or -1 on an invalid argument, a file larger than 4 GiB or an
 * I/O error (errno set by the failing call).
 */
int mst_signal_write_wav (const char *path, const float *buf,
    size_t n_frames, int channels, unsigned rate);

/**
 * Speech-like programme for the loudnorm tests: phrases of 3 to 10
 * syllables (voiced harmonics with a gliding pitch, or bright noise),
 * pauses of 0.3 to 1.5 s between phrases, a noise floor about 70 dB under
 * the peaks, and four speakers of different pitch at 0, -4, +2 and -2 dB
 * taking turns every 20 s. The same on every channel; sample peak -1 dBFS.
 */
void mst_signal_speech (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed);

#ifdef __cplusplus
}
#endif

#endif

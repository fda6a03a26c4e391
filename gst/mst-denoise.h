/* mastering: spectral noise reduction core (pure C, no GObject). */
#ifndef MST_DENOISE_H
#define MST_DENOISE_H

#include "mst-core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Ranges of the settings. */
#define MST_DENOISE_MIN_REDUCTION_DB 0.0
#define MST_DENOISE_MAX_REDUCTION_DB 60.0
#define MST_DENOISE_MIN_SMOOTHING 0.0
#define MST_DENOISE_MAX_SMOOTHING 1.0
#define MST_DENOISE_MAX_LEARN_INTRO_S 60.0

/** The noise profile's bands: third octaves of base two (IEC 61260-1:2014,
 *  midband frequencies 1000 * 2^(x / 3) Hz), x = -17 .. 13, 19.7 Hz to
 *  20.2 kHz (mst_denoise_band_hz). A profile is the noise's power spectral
 *  density at those frequencies, in dB re full scale squared per Hz
 *  (one-sided): white noise of RMS r dBFS at rate fs reads
 *  r - 10 log10 (fs / 2) in every band. Between the bands the density is
 *  interpolated in dB over log frequency, above the top one held; under
 *  the lowest band's lower edge (17.5 Hz) there is none: the bins there
 *  hold what the analysis window leaks of the noise above it. A learned
 *  profile is the noise's mean periodogram itself. */
#define MST_DENOISE_PROFILE_BANDS 31

/** Density the profile values are clamped to (dB re FS^2/Hz). */
#define MST_DENOISE_MIN_PROFILE_DB -300.0
#define MST_DENOISE_MAX_PROFILE_DB 60.0

typedef struct MstDenoise MstDenoise;

typedef struct {
  /* Most the noise is lowered, dB: the gain floor. 0: the STFT alone
   * (the input delayed, to the float rounding). Glides over 50 ms. */
  double reduction_db;
  /* 0 .. 1: how much the gains are smoothed over time (up to a 40 ms
   * time constant) and frequency (peaks narrower than three bins opened
   * away): the musical-noise suppression. */
  double smoothing;
  /* While true, the noise spectrum is averaged over every frame and
   * channel; when it turns false that average becomes the profile. */
  bool learn;
  /* > 0: the first learn_intro_s seconds of every stream (from a reset:
   * a flush, a discontinuity, a new stream) are learned as with learn,
   * then the average is the profile in use: for a recording whose intro
   * is noise alone. Taken at a reset (or before the first frame). */
  double learn_intro_s;
  /* A profile given by the caller (has_profile): taken when it changes.
   * Without one (and before any learned one) the noise is tracked. */
  bool has_profile;
  double profile_db[MST_DENOISE_PROFILE_BANDS];
  /* The input delayed, bit-exact once the gains have glided to 1. */
  bool bypass;
} MstDenoiseSettings;

/** The defaults, the only place they are written: reduction 20 dB,
 *  smoothing 0.5, no profile (tracking), not learning (no intro), not
 *  bypassed. */
void mst_denoise_settings_default (MstDenoiseSettings * s);

/** Centre frequency of profile band @band (0 .. MST_DENOISE_PROFILE_BANDS - 1). */
double mst_denoise_band_hz (int band);

/** Allocates a core for up to @max_channels; NULL on failure. */
MstDenoise *mst_denoise_init (int max_channels);

void mst_denoise_destroy (MstDenoise ** dn);

/** Sets the format (the transforms' sizes follow the rate: 1024 and 8192
 *  points at 44.1 and 48 kHz) and resets; MST_ERR_NOMEM when out of
 *  memory. */
MstResult mst_denoise_configure (MstDenoise * dn, double rate_hz,
    int channels);

/** Takes new settings: MST_ERR_INVALID_ARG and nothing applied when one is
 *  out of range; else what changed applies (reduction and bypass glide). */
MstResult mst_denoise_set (MstDenoise * dn, const MstDenoiseSettings * s);

/** Latency in frames (the long transform's size - 1): output frame i is
 *  input frame i, this many frames later. */
size_t mst_denoise_get_latency (const MstDenoise * dn);

/** Frames of the short transform (a power of two; the long one is 8
 *  times longer) and of its hop. */
int mst_denoise_get_fft_size (const MstDenoise * dn);
int mst_denoise_get_hop (const MstDenoise * dn);

/** Clears the stream's history (delay, spectra, tracked noise, gains);
 *  the profile in use and a learning under way are kept. */
void mst_denoise_reset (MstDenoise * dn);

/** Denoises @n_in interleaved frames from @in into @out (may equal @in),
 *  the @n_out completed ones (fewer than @n_in while the delay fills). */
MstResult mst_denoise_process_f32 (MstDenoise * dn, const float *in,
    size_t n_in, float *out, size_t *n_out);
MstResult mst_denoise_process_f64 (MstDenoise * dn, const double *in,
    size_t n_in, double *out, size_t *n_out);

/** Frames held (what a drain gives). */
size_t mst_denoise_get_pending (const MstDenoise * dn);

/** The held frames into @out (room for mst_denoise_get_pending); then a
 *  reset. */
MstResult mst_denoise_drain_f32 (MstDenoise * dn, float *out,
    size_t *n_out);
MstResult mst_denoise_drain_f64 (MstDenoise * dn, double *out,
    size_t *n_out);

/** The noise floor in use (the profile, or the tracked noise averaged over
 *  the channels) as the RMS level of the noise it describes, in dBFS;
 *  -INFINITY on digital silence (no noise at all); after a reset or drain,
 *  the one before it (-INFINITY before any). For gst-master analyze and
 *  the element's messages. */
double mst_denoise_get_noise_floor (const MstDenoise * dn);

/** The same noise as a profile: the density in each of the
 *  MST_DENOISE_PROFILE_BANDS bands into @profile_db (dB re FS^2/Hz).
 *  MST_ERR_INVALID_ARG before any frame or profile. */
MstResult mst_denoise_get_profile (const MstDenoise * dn,
    double *profile_db);

/** Whether the noise in use is a profile (learned or given) rather than
 *  the tracked one. */
bool mst_denoise_has_profile (const MstDenoise * dn);

/** Number of non-finite input samples read as silence since configure. */
uint64_t mst_denoise_get_nonfinite_count (const MstDenoise * dn);

#ifdef __cplusplus
}
#endif
#endif

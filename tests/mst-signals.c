/* Deterministic test signals: see mst-signals.h. */
#include "mst-signals.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define BEAT_S 0.5              /* 120 bpm */
#define BAR_S 2.0
#define EIGHTH_S 0.25
#define PEAK_DBFS -0.1

/* ------------------------------------------------------------------------ */
/* Random numbers: splitmix64 (Steele, Lea, Flood 2014), Box-Muller. */

typedef struct {
  uint64_t state;
  int have_spare;
  double spare;
} Rng;

static uint64_t
splitmix64 (uint64_t * state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void
rng_init (Rng * r, uint32_t seed, uint32_t stream)
{
  r->state = ((uint64_t) seed << 32) ^ stream ^ 0x5eed5eedull;
  r->have_spare = 0;
  r->spare = 0.0;
}

/* Uniform in (0, 1]. */
static double
rng_uniform (Rng * r)
{
  return ((splitmix64 (&r->state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static double
rng_gauss (Rng * r)
{
  double u, v;
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  u = rng_uniform (r);
  v = rng_uniform (r);
  const double radius = sqrt (-2.0 * log (u));
  r->spare = radius * sin (2.0 * M_PI * v);
  r->have_spare = 1;
  return radius * cos (2.0 * M_PI * v);
}

/* A velocity in [0.8, 1.0] for hit @index of instrument @salt: a hash, so
 * it does not depend on the order in which frames are generated. */
static double
velocity (uint32_t seed, uint64_t index, uint32_t salt)
{
  uint64_t s = ((uint64_t) seed << 32) ^ (index * 0x2545f4914f6cdd1dull)
      ^ ((uint64_t) salt << 56);
  return 0.8 + 0.2 * ((splitmix64 (&s) >> 11) * (1.0 / 9007199254740992.0));
}

static double
midi_hz (int note)
{
  return 440.0 * pow (2.0, (note - 69) / 12.0);
}

/* Writes a (left, right) pair into frame @i per the channel layout of
 * mst-signals.h. */
static inline void
put_frame (float *out, size_t i, int channels, double left, double right)
{
  float *f = out + i * (size_t) channels;
  if (channels == 1) {
    f[0] = (float) (0.5 * (left + right));
    return;
  }
  for (int c = 0; c < channels; c++)
    f[c] = (float) ((c & 1) ? right : left);
}

static inline void
put_mono (float *out, size_t i, int channels, double v)
{
  float *f = out + i * (size_t) channels;
  for (int c = 0; c < channels; c++)
    f[c] = (float) v;
}

/* Kick drum at @t seconds after its hit: a sine swept from 158 Hz down to
 * 48 Hz, decaying. */
static double
kick (double t)
{
  const double f_end = 48.0, f_sweep = 110.0, tau_sweep = 0.025;
  double phase = 2.0 * M_PI * (f_end * t
      + f_sweep * tau_sweep * (1.0 - exp (-t / tau_sweep)));
  return exp (-t / 0.18) * sin (phase);
}

/* ------------------------------------------------------------------------ */

void
mst_signal_normalize_peak (float *buf, size_t n_samples, double peak_dbfs)
{
  double peak = 0.0;
  for (size_t i = 0; i < n_samples; i++) {
    double a = fabs ((double) buf[i]);
    if (a > peak)
      peak = a;
  }
  if (peak > 0.0)
    mst_signal_apply_gain_db (buf, n_samples,
        peak_dbfs - 20.0 * log10 (peak));
}

void
mst_signal_apply_gain_db (float *buf, size_t n_samples, double gain_db)
{
  const double g = pow (10.0, gain_db / 20.0);
  for (size_t i = 0; i < n_samples; i++)
    buf[i] = (float) (buf[i] * g);
}

void
mst_signal_to_f64 (const float *in, double *out, size_t n_samples)
{
  for (size_t i = 0; i < n_samples; i++)
    out[i] = in[i];
}

void
mst_signal_music (float *out, size_t n_frames, int channels, unsigned rate,
    uint32_t seed)
{
  /* Am, F, C, G: bass roots (MIDI) and triads. */
  static const int bass_root[4] = { 33, 29, 36, 31 };
  static const int chord[4][3] = {
    {57, 60, 64}, {53, 57, 60}, {55, 60, 64}, {55, 59, 62},
  };
  static const double chord_pan[3] = { 0.2, 0.5, 0.8 };    /* 0 left, 1 right */
  /* The quiet part lacks the drums: about 16 dB under the loud one in
   * RMS. */
  const double quiet_gain = 0.32;
  const double fs = rate;
  Rng rng_snare, rng_hat_l, rng_hat_r;
  double prev_l = 0.0, prev_r = 0.0;
  size_t beat_frames = (size_t) (BEAT_S * fs);
  size_t quiet_end;

  if (!out || n_frames == 0 || channels < 1 || rate == 0)
    return;
  /* The notes' frequencies once, not per frame (the same values: this
   * generator was a quarter of test-loudnorm-core's time). */
  double bass_hz[4], chord_hz[4][3];
  for (int k = 0; k < 4; k++) {
    bass_hz[k] = midi_hz (bass_root[k]);
    for (int v = 0; v < 3; v++)
      chord_hz[k][v] = midi_hz (chord[k][v]);
  }
  /* The loud part starts on a beat. */
  quiet_end = (size_t) (0.35 * n_frames);
  if (beat_frames > 0)
    quiet_end = (quiet_end + beat_frames - 1) / beat_frames * beat_frames;

  rng_init (&rng_snare, seed, 1);
  rng_init (&rng_hat_l, seed, 2);
  rng_init (&rng_hat_r, seed, 3);

  for (size_t i = 0; i < n_frames; i++) {
    const double t = i / fs;
    const int loud = i >= quiet_end;
    const uint64_t bar = (uint64_t) (t / BAR_S);
    const uint64_t beat = (uint64_t) (t / BEAT_S);
    const uint64_t eighth = (uint64_t) (t / EIGHTH_S);
    const double t_bar = t - bar * BAR_S;
    const double t_beat = t - beat * BEAT_S;
    const double t_eighth = t - eighth * EIGHTH_S;
    const int step = (int) (bar % 4);
    double left = 0.0, right = 0.0, centre = 0.0;

    /* Hi-hats on the eighths: first-differenced (bright) noise, panned. */
    {
      double g_l = rng_gauss (&rng_hat_l), g_r = rng_gauss (&rng_hat_r);
      double env = 0.12 * velocity (seed, eighth, 1) * exp (-t_eighth / 0.015);
      left += env * (g_l - prev_l) * 0.7071 * 0.8;
      right += env * (g_r - prev_r) * 0.7071;
      prev_l = g_l;
      prev_r = g_r;
    }
    /* Bass line: eighth-note pulses on the bar's root. */
    {
      double f = bass_hz[step];
      double env = (1.0 - exp (-t_eighth / 0.004)) * exp (-t_eighth / 0.3);
      centre += 0.35 * velocity (seed, eighth, 2) * env
          * (sin (2.0 * M_PI * f * t) + 0.25 * sin (4.0 * M_PI * f * t));
    }
    /* Chords, one per bar, three voices panned, one envelope. */
    const double chord_env = (1.0 - exp (-t_bar / 0.01)) * exp (-t_bar * 0.7);
    for (int v = 0; v < 3; v++) {
      double f = chord_hz[step][v], env = chord_env;
      double tone = 0.07 * env * (sin (2.0 * M_PI * f * t + v)
          + 0.4 * sin (4.0 * M_PI * f * t) + 0.2 * sin (6.0 * M_PI * f * t));
      left += tone * (1.0 - chord_pan[v]);
      right += tone * chord_pan[v];
    }
    {
      /* Drawn in both parts so the noise does not depend on quiet_end. */
      double g = rng_gauss (&rng_snare);
      if (loud) {
        centre += 0.9 * velocity (seed, beat, 3) * kick (t_beat);
        if (beat & 1) {
          double vel = velocity (seed, beat, 4);
          centre += vel * (0.45 * exp (-t_beat / 0.07) * g
              + 0.3 * exp (-t_beat / 0.04) * sin (2.0 * M_PI * 190.0 * t_beat));
        }
      }
    }
    left += centre;
    right += centre;
    if (!loud) {
      left *= quiet_gain;
      right *= quiet_gain;
    }
    put_frame (out, i, channels, left, right);
  }
  mst_signal_normalize_peak (out, n_frames * (size_t) channels, PEAK_DBFS);
}

void
mst_signal_clipped_master (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed, double gain_db)
{
  const size_t n = n_frames * (size_t) channels;
  if (!out || channels < 1)
    return;
  mst_signal_music (out, n_frames, channels, rate, seed);
  mst_signal_apply_gain_db (out, n, gain_db);
  for (size_t i = 0; i < n; i++)
    out[i] = out[i] > 1.0f ? 1.0f : out[i] < -1.0f ? -1.0f : out[i];
}

static int
compare_size (const void *a, const void *b)
{
  size_t x = *(const size_t *) a, y = *(const size_t *) b;
  return x < y ? -1 : x > y;
}

void
mst_signal_add_clicks (float *buf, size_t n_frames, int channels,
    unsigned rate, size_t n_clicks, uint32_t seed, size_t *starts)
{
  const size_t edge = rate / 20, gap = rate / 100;
  if (!buf || channels < 1 || n_clicks == 0
      || n_frames < 2 * edge + n_clicks * gap)
    return;
  Rng rng;
  rng_init (&rng, seed, 77);
  size_t *pos = malloc (n_clicks * sizeof (size_t));
  if (!pos)
    return;
  /* Places drawn until none is closer than gap to another. */
  for (size_t k = 0; k < n_clicks;) {
    size_t p = edge + (size_t) (rng_uniform (&rng) * (n_frames - 2 * edge));
    bool ok = true;
    for (size_t j = 0; j < k && ok; j++)
      ok = (p > pos[j] ? p - pos[j] : pos[j] - p) >= gap;
    if (ok)
      pos[k++] = p;
  }
  qsort (pos, n_clicks, sizeof (size_t), compare_size);
  for (size_t k = 0; k < n_clicks; k++) {
    const size_t len = (size_t) lround (rate * (0.001 + 0.001
            * rng_uniform (&rng)));
    const double amp = 0.05 * pow (10.0, rng_uniform (&rng));
    for (int c = 0; c < channels; c++) {
      const double a_c = amp * (0.5 + 0.5 * rng_uniform (&rng));
      for (size_t i = 0; i < len && pos[k] + i < n_frames; i++) {
        double u = 2.0 * rng_uniform (&rng) - 1.0;
        buf[(pos[k] + i) * channels + c] += (float) (a_c * u
            * exp (-3.0 * (double) i / (double) len));
      }
    }
    if (starts)
      starts[k] = pos[k];
  }
  free (pos);
}

void
mst_signal_square (float *out, size_t n_frames, int channels, unsigned rate,
    double freq_hz, double amplitude)
{
  if (!out || channels < 1 || rate == 0)
    return;
  for (size_t i = 0; i < n_frames; i++) {
    double cycles = freq_hz * (double) i / rate;
    double frac = cycles - floor (cycles);
    put_mono (out, i, channels, frac < 0.5 ? amplitude : -amplitude);
  }
}

void
mst_signal_sine (float *out, size_t n_frames, int channels, unsigned rate,
    double freq_hz, double amplitude, double phase_rad)
{
  if (!out || channels < 1 || rate == 0)
    return;
  for (size_t i = 0; i < n_frames; i++)
    put_mono (out, i, channels,
        amplitude * sin (2.0 * M_PI * freq_hz * (double) i / rate + phase_rad));
}

void
mst_signal_sine_fs4_45 (float *out, size_t n_frames, int channels,
    double amplitude)
{
  /* sin (pi i / 2 + pi / 4) = +-1/sqrt 2: +, +, -, - (exact, no libm). */
  static const double sign[4] = { 1.0, 1.0, -1.0, -1.0 };
  if (!out || channels < 1)
    return;
  for (size_t i = 0; i < n_frames; i++)
    put_mono (out, i, channels, amplitude * M_SQRT1_2 * sign[i & 3]);
}

void
mst_signal_impulses (float *out, size_t n_frames, int channels,
    size_t spacing_frames, double amplitude)
{
  size_t k = 0;
  if (!out || channels < 1 || spacing_frames == 0)
    return;
  memset (out, 0, n_frames * (size_t) channels * sizeof (float));
  for (size_t i = spacing_frames / 2; i < n_frames; i += spacing_frames, k++)
    put_mono (out, i, channels, (k & 1) ? -amplitude : amplitude);
}

void
mst_signal_step_sine (float *out, size_t n_frames, int channels,
    unsigned rate, size_t silence_frames, double freq_hz, double amplitude,
    double phase_rad)
{
  if (!out || channels < 1 || rate == 0)
    return;
  for (size_t i = 0; i < n_frames; i++) {
    double v = 0.0;
    if (i >= silence_frames)
      v = amplitude * sin (2.0 * M_PI * freq_hz * (double) (i - silence_frames)
          / rate + phase_rad);
    put_mono (out, i, channels, v);
  }
}

void
mst_signal_step_dc (float *out, size_t n_frames, int channels,
    size_t silence_frames, double level)
{
  if (!out || channels < 1)
    return;
  for (size_t i = 0; i < n_frames; i++)
    put_mono (out, i, channels, i >= silence_frames ? level : 0.0);
}

void
mst_signal_white_noise (float *out, size_t n_frames, int channels,
    double rms_dbfs, uint32_t seed)
{
  const double rms = pow (10.0, rms_dbfs / 20.0);
  Rng rng;
  if (!out || channels < 1)
    return;
  rng_init (&rng, seed, 100);
  for (size_t i = 0; i < n_frames * (size_t) channels; i++)
    out[i] = (float) (rms * rng_gauss (&rng));
}

void
mst_signal_pink_noise (float *out, size_t n_frames, int channels,
    double rms_dbfs, uint32_t seed)
{
  /* Gaussian white noise through P. Kellett's pink filter ("instrumentation
   * grade", musicdsp.org, 1999: -3 dB per octave within 0.05 dB from
   * 9.2 Hz to the Nyquist frequency at 44.1 kHz), each channel on its own,
   * then scaled to the RMS asked. */
  Rng rng;
  if (!out || channels < 1 || n_frames == 0)
    return;
  rng_init (&rng, seed, 200);
  double sum2 = 0;
  for (int c = 0; c < channels; c++) {
    double b[7] = { 0 };
    for (size_t i = 0; i < n_frames; i++) {
      double w = rng_gauss (&rng);
      b[0] = 0.99886 * b[0] + w * 0.0555179;
      b[1] = 0.99332 * b[1] + w * 0.0750759;
      b[2] = 0.96900 * b[2] + w * 0.1538520;
      b[3] = 0.86650 * b[3] + w * 0.3104856;
      b[4] = 0.55000 * b[4] + w * 0.5329522;
      b[5] = -0.7616 * b[5] - w * 0.0168980;
      double p = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
      b[6] = w * 0.115926;
      out[i * channels + c] = (float) p;
      sum2 += p * p;
    }
  }
  double gain = pow (10.0, rms_dbfs / 20.0) / sqrt (sum2 / ((double) n_frames
          * channels));
  for (size_t i = 0; i < n_frames * (size_t) channels; i++)
    out[i] = (float) (out[i] * gain);
}

void
mst_signal_bass_heavy (float *out, size_t n_frames, int channels,
    unsigned rate, uint32_t seed)
{
  /* E1, F1, F#1, G1, G#1, A1, A#1: 41.2 .. 58.3 Hz. */
  static const int notes[] = { 28, 29, 30, 31, 32, 33, 34 };
  const int n_notes = (int) (sizeof (notes) / sizeof (notes[0]));
  const double fs = rate;

  if (!out || n_frames == 0 || channels < 1 || rate == 0)
    return;
  for (size_t i = 0; i < n_frames; i++) {
    const double t = i / fs;
    const uint64_t note_no = (uint64_t) t;      /* one note per second */
    const double t_note = t - (double) note_no;
    const uint64_t beat = (uint64_t) (t / BEAT_S);
    const double t_beat = t - beat * BEAT_S;
    const double t_off = fmod (t + BEAT_S / 2, BEAT_S);
    uint64_t h = ((uint64_t) seed << 32) ^ note_no;
    int note = notes[splitmix64 (&h) % (uint64_t) n_notes];
    double f = midi_hz (note);
    /* 50 ms raised-cosine attack, 100 ms release at the note's end. */
    double env = 1.0;
    if (t_note < 0.05)
      env = 0.5 - 0.5 * cos (M_PI * t_note / 0.05);
    else if (t_note > 0.9)
      env = 0.5 + 0.5 * cos (M_PI * (t_note - 0.9) / 0.1);
    double bass = 0.6 * env * (sin (2.0 * M_PI * f * t_note)
        + 0.15 * sin (4.0 * M_PI * f * t_note));
    double centre = bass + 0.6 * velocity (seed, beat, 5) * kick (t_beat);
    double tick = 0.05 * exp (-t_off / 0.005) * sin (2.0 * M_PI * 3000.0 * t_off);
    put_frame (out, i, channels, centre + 1.2 * tick, centre + 0.8 * tick);
  }
  mst_signal_normalize_peak (out, n_frames * (size_t) channels, PEAK_DBFS);
}

/* ------------------------------------------------------------------------ */
/* WAV */

static void
le16 (unsigned char *p, unsigned v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

static void
le32 (unsigned char *p, uint32_t v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

int
mst_signal_write_wav (const char *path, const float *buf, size_t n_frames,
    int channels, unsigned rate)
{
  /* Microsoft's usual masks: FL FR, FL FR FC, quad, 5.0, 5.1, 6.1, 7.1. */
  static const uint32_t masks[9] = {
    0, 0x4, 0x3, 0x7, 0x33, 0x37, 0x3f, 0x13f, 0x63f,
  };
  /* KSDATAFORMAT_SUBTYPE_IEEE_FLOAT */
  static const unsigned char float_guid[16] = {
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
  };
  unsigned char hdr[80];
  const int extensible = channels > 2;
  const uint32_t fmt_size = extensible ? 40 : 18;
  const uint64_t block = 4ull * (uint64_t) (channels > 0 ? channels : 1);
  const uint64_t data_size = (uint64_t) n_frames * block;
  size_t h = 0;
  FILE *f;

  if (!path || (!buf && n_frames) || channels < 1 || channels > 65535
      || rate == 0 || block * rate > UINT32_MAX) {
    errno = EINVAL;
    return -1;
  }
  if (data_size + 12 + 8 + fmt_size + 12 + 8 > UINT32_MAX) {
    errno = EFBIG;
    return -1;
  }
  memcpy (hdr + h, "RIFF", 4);
  le32 (hdr + h + 4, (uint32_t) (4 + 8 + fmt_size + 12 + 8 + data_size));
  memcpy (hdr + h + 8, "WAVE", 4);
  h += 12;
  memcpy (hdr + h, "fmt ", 4);
  le32 (hdr + h + 4, fmt_size);
  le16 (hdr + h + 8, extensible ? 0xfffe : 3);
  le16 (hdr + h + 10, (unsigned) channels);
  le32 (hdr + h + 12, rate);
  le32 (hdr + h + 16, (uint32_t) (block * rate));
  le16 (hdr + h + 20, (unsigned) block);
  le16 (hdr + h + 22, 32);
  le16 (hdr + h + 24, extensible ? 22 : 0);
  h += 26;
  if (extensible) {
    le16 (hdr + h, 32);
    le32 (hdr + h + 2, channels <= 8 ? masks[channels] : 0);
    memcpy (hdr + h + 6, float_guid, 16);
    h += 22;
  }
  memcpy (hdr + h, "fact", 4);
  le32 (hdr + h + 4, 4);
  le32 (hdr + h + 8, (uint32_t) n_frames);
  h += 12;
  memcpy (hdr + h, "data", 4);
  le32 (hdr + h + 4, (uint32_t) data_size);
  h += 8;

  f = fopen (path, "wb");
  if (!f)
    return -1;
  if (fwrite (hdr, 1, h, f) != h)
    goto fail;
  {
    unsigned char tmp[4096];
    size_t n = n_frames * (size_t) channels, k = 0;
    while (k < n) {
      size_t m = 0;
      for (; m < sizeof (tmp) / 4 && k < n; m++, k++) {
        uint32_t u;
        memcpy (&u, buf + k, 4);
        le32 (tmp + 4 * m, u);
      }
      if (fwrite (tmp, 4, m, f) != m)
        goto fail;
    }
  }
  if (fclose (f) != 0)
    return -1;
  return 0;
fail:
  {
    int e = errno;
    fclose (f);
    errno = e;
  }
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Speech-like programme (loudnorm tests). */

void
mst_signal_speech (float *out, size_t n_frames, int channels, unsigned rate,
    uint32_t seed)
{
  const double fs = rate;
  Rng rng, noise;
  size_t i = 0;
  double phase = 0.0, prev = 0.0;
  /* Speaker levels (dB), changing every SPEAKER_S seconds. */
  static const double speaker_db[4] = { 0.0, -4.0, 2.0, -2.0 };
  static const double speaker_f0[4] = { 120.0, 210.0, 105.0, 180.0 };
  const double speaker_s = 20.0;

  if (!out || n_frames == 0 || channels < 1 || rate == 0)
    return;
  rng_init (&rng, seed, 11);
  rng_init (&noise, seed, 12);
  while (i < n_frames) {
    /* A phrase of 3 to 10 syllables, then a pause of 0.3 to 1.5 s. */
    int syllables = 3 + (int) (rng_uniform (&rng) * 8.0);
    for (int s = 0; s < syllables && i < n_frames; s++) {
      int who = (int) ((i / fs) / speaker_s) % 4;
      double level = pow (10.0, speaker_db[who] / 20.0);
      double f0 = speaker_f0[who] * (0.85 + 0.3 * rng_uniform (&rng));
      double len_s = 0.12 + 0.2 * rng_uniform (&rng);
      double gap_s = 0.02 + 0.06 * rng_uniform (&rng);
      int fricative = rng_uniform (&rng) < 0.25;
      size_t len = (size_t) (len_s * fs), gap = (size_t) (gap_s * fs);
      double amp = level * (0.5 + 0.5 * rng_uniform (&rng));
      for (size_t k = 0; k < len && i < n_frames; k++, i++) {
        double u = (double) k / len;
        double env = amp * sin (M_PI * u) * sin (M_PI * u);
        double v = 0.0;
        if (fricative) {
          /* Bright noise (first difference), softer. */
          double g = rng_gauss (&noise);
          v = 0.15 * (g - prev);
          prev = g;
        } else {
          /* Voiced: harmonics with a falling tilt and a gliding pitch. */
          double f = f0 * (1.0 + 0.1 * (0.5 - u));
          phase += 2.0 * M_PI * f / fs;
          if (phase > 2.0 * M_PI)
            phase -= 2.0 * M_PI;
          for (int h = 1; h <= 20 && h * f < 0.45 * fs && h * f < 5000.0; h++)
            v += sin (h * phase) / h * (h >= 2 && h <= 4 ? 1.6 : 1.0);
          v *= 0.25;
        }
        put_mono (out, i, channels, env * v
            + 3e-4 * rng_gauss (&noise));
      }
      for (size_t k = 0; k < gap && i < n_frames; k++, i++)
        put_mono (out, i, channels, 3e-4 * rng_gauss (&noise));
    }
    size_t pause = (size_t) ((0.3 + 1.2 * rng_uniform (&rng)) * fs);
    for (size_t k = 0; k < pause && i < n_frames; k++, i++)
      put_mono (out, i, channels, 3e-4 * rng_gauss (&noise));
  }
  mst_signal_normalize_peak (out, n_frames * (size_t) channels, -1.0);
}

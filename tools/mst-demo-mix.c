/* mst-demo-mix: writes the project's demo mix, 40 s of synthesised music
 * (48 kHz, stereo, 32-bit float WAV), to the path given as argv[1].
 *
 * 120 bpm, A minor, Am F C G one chord a bar: a quiet intro (0-10 s: pad
 * and hi-hat, bass from 5 s), a verse (10-22 s: drums join) and a loud chorus
 * (22-40 s: more voices, sixteenth hats, driven drum bus). Deterministic:
 * every random number comes from a fixed-seed generator. The sample peak
 * is normalised to -0.3 dBFS. */
#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define RATE_HZ 48000
#define SECONDS 40.0
#define BPM 120.0
#define INTRO_END_S 10.0
#define CHORUS_START_S 22.0
#define PEAK_DBFS (-0.3)

typedef struct {
  double l, r;
} Frame;

static double
midi_hz (double note)
{
  return 440.0 * pow (2.0, (note - 69.0) / 12.0);
}

/* Band-limited sawtooth: naive saw minus a polyBLEP residual at the
 * discontinuity (Valimaki and Huovilainen 2007). */
static double
poly_blep (double t, double dt)
{
  if (t < dt) {
    t /= dt;
    return t + t - t * t - 1.0;
  }
  if (t > 1.0 - dt) {
    t = (t - 1.0) / dt;
    return t * t + t + t + 1.0;
  }
  return 0.0;
}

static double
saw (double *phase, double freq_hz)
{
  double dt = freq_hz / RATE_HZ;
  double v = 2.0 * *phase - 1.0 - poly_blep (*phase, dt);
  *phase += dt;
  if (*phase >= 1.0)
    *phase -= 1.0;
  return v;
}

/* State-variable low-pass (Chamberlin), cutoff well below fs/6. */
typedef struct {
  double low, band;
} Svf;

static double
svf_lowpass (Svf * f, double x, double cutoff_hz, double q)
{
  double k = 2.0 * sin (M_PI * cutoff_hz / RATE_HZ);
  double high = x - f->low - f->band / q;
  f->band += k * high;
  f->low += k * f->band;
  return f->low;
}

static double
section_gain (double t)
{
  /* A one-bar fade-in of the intro, a step up at the verse and chorus. */
  if (t < INTRO_END_S)
    return 0.5 * fmin (1.0, t / 2.0);
  if (t < CHORUS_START_S)
    return 0.45;
  return 1.0;
}

int
main (int argc, char **argv)
{
  /* Am F C G: roots and triads (MIDI notes), one chord per bar. */
  static const int roots[4] = { 45, 41, 48, 43 };
  static const int chords[4][4] = {
    {57, 60, 64, 69}, {57, 60, 65, 69}, {55, 60, 64, 67}, {55, 59, 62, 67}
  };
  /* Bass rhythm (eighths of a bar): 1 = note on, with octave jumps. */
  static const int bass_pattern[8] = { 1, 0, 1, 1, 0, 1, 1, 1 };
  static const int bass_octave[8] = { 0, 0, 12, 0, 0, 0, 12, 0 };
  const size_t n_frames = (size_t) (SECONDS * RATE_HZ);
  const double beat_s = 60.0 / BPM;
  const double bar_s = 4 * beat_s;
  Frame *mix;
  GRand *rng;
  double pad_phase[4][3][2] = { {{0}} };
  double bass_phase = 0.0, kick_phase = 0.0, peak = 0.0, gain;
  Svf pad_filter[2] = { {0} }, bass_filter = { 0 }, snare_filter = { 0 };
  double hat_hp_state[2] = { 0 }, hat_prev[2] = { 0 };
  double delay_l[RATE_HZ], delay_r[RATE_HZ];
  size_t delay_pos = 0;
  const size_t delay_frames = (size_t) (0.375 * RATE_HZ);  /* dotted 8th */
  FILE *out;
  guint32 data_bytes, u32;
  guint16 u16;

  if (argc == 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
    printf ("usage: %s OUTPUT.wav\nWrites the 40 s demo mix (48 kHz, stereo, "
        "32-bit float WAV) to OUTPUT.wav.\n", argv[0]);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    fprintf (stderr, "usage: %s OUTPUT.wav\n", argv[0]);
    return 2;
  }

  mix = g_new0 (Frame, n_frames);
  rng = g_rand_new_with_seed (0x4d535431);     /* "MST1" */
  memset (delay_l, 0, sizeof (delay_l));
  memset (delay_r, 0, sizeof (delay_r));

  for (size_t i = 0; i < n_frames; i++) {
    const double t = (double) i / RATE_HZ;
    const int bar = (int) (t / bar_s) % 4;
    const double in_bar = fmod (t, bar_s);
    const double in_beat = fmod (t, beat_s);
    const int beat = (int) (in_bar / beat_s);
    const double in_eighth = fmod (t, beat_s / 2);
    const int eighth = (int) (in_bar / (beat_s / 2));
    const double in_sixteenth = fmod (t, beat_s / 4);
    const gboolean drums = t >= INTRO_END_S;
    const gboolean chorus = t >= CHORUS_START_S;
    const double sec_gain = section_gain (t);
    double l = 0.0, r = 0.0, drum_l = 0.0, drum_r = 0.0;
    double noise = g_rand_double_range (rng, -1.0, 1.0);
    double noise2 = g_rand_double_range (rng, -1.0, 1.0);

    /* Pad: three detuned saws per chord note, split left and right, a
     * swell at each bar and a low-pass that opens in the chorus. */
    {
      double env = fmin (1.0, in_bar / 0.15) * (0.75 + 0.25 *
          exp (-in_bar / 0.8));
      double pad[2] = { 0.0, 0.0 };
      double cutoff = chorus ? 3200.0 : 1400.0 + 400.0 * sin (t * 0.5);
      int n_notes = chorus ? 4 : 3;
      for (int n = 0; n < n_notes; n++) {
        double f = midi_hz (chords[bar][n]);
        for (int v = 0; v < 3; v++) {
          /* Detune -9, 0, +9 cents. */
          double fv = f * pow (2.0, (v - 1) * 9.0 / 1200.0);
          pad[0] += saw (&pad_phase[n][v][0], fv * (1.0 + 0.0004 * v));
          pad[1] += saw (&pad_phase[n][v][1], fv * (1.0 - 0.0003 * v));
        }
      }
      l += 0.035 * env * svf_lowpass (&pad_filter[0], pad[0], cutoff, 0.8);
      r += 0.035 * env * svf_lowpass (&pad_filter[1], pad[1], cutoff, 0.8);
    }

    /* Hi-hat: high-passed noise, eighths (sixteenths in the chorus),
     * accent on the off-beat, slightly right. */
    {
      double since = chorus ? in_sixteenth : in_eighth;
      double decay = (eighth % 2) ? 0.045 : 0.025;
      double env = exp (-since / decay) * ((eighth % 2) ? 1.0 : 0.6);
      for (int c = 0; c < 2; c++) {
        double x = c ? noise : noise2;
        /* First-order high-pass at about 7 kHz. */
        hat_hp_state[c] = 0.4 * (hat_hp_state[c] + x - hat_prev[c]);
        hat_prev[c] = x;
      }
      drum_l += 0.07 * env * hat_hp_state[0];
      drum_r += 0.09 * env * hat_hp_state[1];
    }

    if (drums) {
      /* Kick on 1 and 3 (and the "and" of 4 in the chorus): a sine swept
       * from 150 to 45 Hz with a click. */
      double since = in_beat;
      gboolean hit = beat == 0 || beat == 2;
      if (chorus && beat == 3 && in_beat >= beat_s / 2) {
        hit = TRUE;
        since = in_beat - beat_s / 2;
      }
      if (hit) {
        double f = 45.0 + 105.0 * exp (-since / 0.03);
        double k;
        if (since * RATE_HZ < 1.0)
          kick_phase = 0.0;
        kick_phase += 2.0 * M_PI * f / RATE_HZ;
        k = sin (kick_phase) * exp (-since / 0.25) +
            0.3 * noise * exp (-since / 0.003);
        drum_l += 0.55 * k;
        drum_r += 0.55 * k;
      } else {
        kick_phase = 0.0;
      }

      /* Snare on 2 and 4: band-passed noise plus a 185 Hz body. */
      if (beat == 1 || beat == 3) {
        double body = sin (2.0 * M_PI * 185.0 * in_beat) *
            exp (-in_beat / 0.05);
        double snap = noise - svf_lowpass (&snare_filter, noise, 1500.0, 0.7);
        double s = 0.35 * body + 0.3 * snap * exp (-in_beat / 0.12);
        drum_l += s;
        drum_r += 0.9 * s;
      }
    }

    /* Bass from the second half of the intro: root in eighths, a saw
     * through a low-pass with a pluck (darker before the verse). */
    if (t >= INTRO_END_S / 2 && bass_pattern[eighth]) {
      double f = midi_hz (roots[bar] - 12 + bass_octave[eighth]);
      double pluck = exp (-in_eighth / 0.12);
      double cutoff = 220.0 + 900.0 * pluck *
          (chorus ? 1.6 : drums ? 1.0 : 0.4);
      double b = svf_lowpass (&bass_filter, saw (&bass_phase, f), cutoff,
          1.2);
      double env = fmin (1.0, in_eighth / 0.004) * (0.6 + 0.4 * pluck);
      l += 0.32 * env * b;
      r += 0.32 * env * b;
    }

    /* Drum bus: driven harder in the chorus. */
    {
      double drive = chorus ? 1.8 : 1.0;
      l += tanh (drive * drum_l) / drive * 0.9;
      r += tanh (drive * drum_r) / drive * 0.9;
    }

    /* Ping-pong echo of the mix for width. */
    {
      size_t rd = (delay_pos + RATE_HZ - delay_frames) % RATE_HZ;
      double echo_l = delay_r[rd], echo_r = delay_l[rd];
      delay_l[delay_pos] = 0.25 * l + 0.35 * echo_l;
      delay_r[delay_pos] = 0.25 * r + 0.35 * echo_r;
      delay_pos = (delay_pos + 1) % RATE_HZ;
      l += 0.3 * echo_l;
      r += 0.3 * echo_r;
    }

    mix[i].l = sec_gain * l;
    mix[i].r = sec_gain * r;
    peak = fmax (peak, fmax (fabs (mix[i].l), fabs (mix[i].r)));
  }
  g_rand_free (rng);

  gain = pow (10.0, PEAK_DBFS / 20.0) / peak;

  out = g_fopen (argv[1], "wb");
  if (!out) {
    fprintf (stderr, "%s: cannot write %s: %s\n", argv[0], argv[1],
        g_strerror (errno));
    g_free (mix);
    return 1;
  }
  /* RIFF/WAVE, WAVE_FORMAT_IEEE_FLOAT (3) with a fact chunk. */
  data_bytes = (guint32) (n_frames * 2 * sizeof (float));
  fwrite ("RIFF", 1, 4, out);
  u32 = GUINT32_TO_LE (4 + (8 + 18) + (8 + 4) + (8 + data_bytes));
  fwrite (&u32, 4, 1, out);
  fwrite ("WAVEfmt ", 1, 8, out);
  u32 = GUINT32_TO_LE (18);
  fwrite (&u32, 4, 1, out);
  u16 = GUINT16_TO_LE (3);      /* IEEE float */
  fwrite (&u16, 2, 1, out);
  u16 = GUINT16_TO_LE (2);      /* channels */
  fwrite (&u16, 2, 1, out);
  u32 = GUINT32_TO_LE (RATE_HZ);
  fwrite (&u32, 4, 1, out);
  u32 = GUINT32_TO_LE (RATE_HZ * 2 * 4);        /* bytes per second */
  fwrite (&u32, 4, 1, out);
  u16 = GUINT16_TO_LE (2 * 4);  /* block align */
  fwrite (&u16, 2, 1, out);
  u16 = GUINT16_TO_LE (32);     /* bits per sample */
  fwrite (&u16, 2, 1, out);
  u16 = 0;                      /* cbSize */
  fwrite (&u16, 2, 1, out);
  fwrite ("fact", 1, 4, out);
  u32 = GUINT32_TO_LE (4);
  fwrite (&u32, 4, 1, out);
  u32 = GUINT32_TO_LE ((guint32) n_frames);
  fwrite (&u32, 4, 1, out);
  fwrite ("data", 1, 4, out);
  u32 = GUINT32_TO_LE (data_bytes);
  fwrite (&u32, 4, 1, out);
  for (size_t i = 0; i < n_frames; i++) {
    float s[2] = { (float) (gain * mix[i].l), (float) (gain * mix[i].r) };
    guint32 w[2];
    memcpy (w, s, sizeof (w));
    w[0] = GUINT32_TO_LE (w[0]);
    w[1] = GUINT32_TO_LE (w[1]);
    fwrite (w, sizeof (w), 1, out);
  }
  g_free (mix);
  if (ferror (out) | fclose (out)) {
    fprintf (stderr, "%s: error writing %s\n", argv[0], argv[1]);
    return 1;
  }
  printf ("wrote %s\n", argv[1]);
  return 0;
}

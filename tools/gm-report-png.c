/* gst-master --report: one PNG with three panels over time: short-term
 * loudness before and after (with the target), the limiter's gain
 * reduction, and the written file's true peak per 100 ms (with the
 * ceiling). Drawn with cairo. */
#include "gm-report.h"

#include <math.h>

#ifdef HAVE_CAIRO
#include <cairo.h>

#define W 1200
#define PANEL_H 220
#define MARGIN_L 70
#define MARGIN_R 20
#define MARGIN_T 40
#define GAP 40

typedef struct {
  double x0, y0, w, h;          /* pixels */
  double t_max;                 /* s */
  double v_min, v_max;
} Panel;

static double
px (const Panel * p, double t)
{
  return p->x0 + p->w * (p->t_max > 0 ? t / p->t_max : 0);
}

static double
py (const Panel * p, double v)
{
  v = fmax (p->v_min, fmin (p->v_max, v));
  return p->y0 + p->h * (p->v_max - v) / (p->v_max - p->v_min);
}

static void
frame (cairo_t * cr, const Panel * p, const char *label, double step)
{
  char buf[64];

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, p->x0, p->y0, p->w, p->h);
  cairo_fill (cr);
  cairo_set_line_width (cr, 1);
  cairo_set_font_size (cr, 11);
  for (double v = ceil (p->v_min / step) * step; v <= p->v_max + 1e-9;
      v += step) {
    cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
    cairo_move_to (cr, p->x0, py (p, v) + 0.5);
    cairo_line_to (cr, p->x0 + p->w, py (p, v) + 0.5);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    g_snprintf (buf, sizeof buf, "%g", v);
    cairo_move_to (cr, p->x0 - 40, py (p, v) + 4);
    cairo_show_text (cr, buf);
  }
  double tstep = p->t_max > 600 ? 60 : p->t_max > 120 ? 30 : p->t_max > 30
      ? 10 : p->t_max > 5 ? 1 : 0.5;
  for (double t = 0; t <= p->t_max + 1e-9; t += tstep) {
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    g_snprintf (buf, sizeof buf, "%g s", t);
    cairo_move_to (cr, px (p, t) - 8, p->y0 + p->h + 14);
    cairo_show_text (cr, buf);
  }
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 13);
  cairo_move_to (cr, p->x0, p->y0 - 8);
  cairo_show_text (cr, label);
  cairo_rectangle (cr, p->x0 + 0.5, p->y0 + 0.5, p->w, p->h);
  cairo_stroke (cr);
}

static void
curve (cairo_t * cr, const Panel * p, const GmSeries * s, double r, double g,
    double b)
{
  gboolean pen = FALSE;
  if (!s || !s->t_s)
    return;
  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 1.5);
  for (guint i = 0; i < s->t_s->len; i++) {
    double t = g_array_index (s->t_s, double, i);
    double v = g_array_index (s->v, double, i);
    if (!isfinite (v)) {
      pen = FALSE;
      continue;
    }
    if (pen)
      cairo_line_to (cr, px (p, t), py (p, v));
    else
      cairo_move_to (cr, px (p, t), py (p, v));
    pen = TRUE;
  }
  cairo_stroke (cr);
}

static void
hline (cairo_t * cr, const Panel * p, double v, double r, double g, double b)
{
  double dash[] = { 6, 4 };
  if (!isfinite (v))
    return;
  cairo_save (cr);
  cairo_set_dash (cr, dash, 2, 0);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 1.2);
  cairo_move_to (cr, p->x0, py (p, v));
  cairo_line_to (cr, p->x0 + p->w, py (p, v));
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
legend (cairo_t * cr, double x, double y, const char *text, double r,
    double g, double b)
{
  cairo_set_source_rgb (cr, r, g, b);
  cairo_rectangle (cr, x, y - 8, 14, 4);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 11);
  cairo_move_to (cr, x + 18, y - 3);
  cairo_show_text (cr, text);
}

static double
series_last_t (const GmSeries * s)
{
  return s && s->t_s && s->t_s->len ?
      g_array_index (s->t_s, double, s->t_s->len - 1) : 0.0;
}

static double
series_max (const GmSeries * s)
{
  double m = 0.0;
  for (guint i = 0; s && s->v && i < s->v->len; i++)
    m = fmax (m, g_array_index (s->v, double, i));
  return m;
}

gboolean
gm_report_write_png (const char *path, const GmReport * r, GError ** err)
{
  const int h = MARGIN_T + 3 * PANEL_H + 2 * GAP + 40;
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W,
      h);
  cairo_t *cr = cairo_create (surf);
  cairo_status_t st;
  double t_max = fmax (series_last_t (r->short_term_before),
      series_last_t (r->short_term_after));
  char title[512];

  t_max = fmax (t_max, series_last_t (r->gain_reduction));
  if (t_max <= 0)
    t_max = 1;
  cairo_set_source_rgb (cr, 0.96, 0.96, 0.96);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 15);
  cairo_set_source_rgb (cr, 0, 0, 0);
  g_snprintf (title, sizeof title, "gst-master: %s", r->title);
  cairo_move_to (cr, MARGIN_L, 22);
  cairo_show_text (cr, title);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);

  Panel p1 = { MARGIN_L, MARGIN_T + 20, W - MARGIN_L - MARGIN_R, PANEL_H - 20,
    t_max, -40, 0
  };
  if (isfinite (r->target_lufs))
    p1.v_min = fmin (p1.v_min, floor (r->target_lufs / 10) * 10 - 20);
  frame (cr, &p1, "Short-term loudness (LUFS)", 10);
  hline (cr, &p1, r->target_lufs, 0.1, 0.6, 0.1);
  curve (cr, &p1, r->short_term_before, 0.6, 0.6, 0.6);
  curve (cr, &p1, r->short_term_after, 0.1, 0.3, 0.8);
  legend (cr, W - 330, MARGIN_T + 10, "before", 0.6, 0.6, 0.6);
  legend (cr, W - 260, MARGIN_T + 10, "after", 0.1, 0.3, 0.8);
  legend (cr, W - 200, MARGIN_T + 10, "target", 0.1, 0.6, 0.1);

  double gr_max = fmax (1.0, ceil (series_max (r->gain_reduction)));
  Panel p2 = { MARGIN_L, p1.y0 + p1.h + GAP, p1.w, PANEL_H - 20, t_max,
    -gr_max, 0
  };
  frame (cr, &p2, "Limiter gain reduction (dB, largest per 100 ms)",
      gr_max > 6 ? 2 : gr_max > 2 ? 1 : 0.5);
  if (r->gain_reduction && r->gain_reduction->t_s) {
    GmSeries neg;
    gm_series_init (&neg);
    for (guint i = 0; i < r->gain_reduction->t_s->len; i++)
      gm_series_add (&neg, g_array_index (r->gain_reduction->t_s, double, i),
          -g_array_index (r->gain_reduction->v, double, i));
    curve (cr, &p2, &neg, 0.8, 0.2, 0.1);
    g_array_free (neg.t_s, TRUE);
    g_array_free (neg.v, TRUE);
  }

  Panel p3 = { MARGIN_L, p2.y0 + p2.h + GAP, p1.w, PANEL_H - 20, t_max,
    -30, 1
  };
  frame (cr, &p3, "True peak of the written file (dBTP per 100 ms)", 6);
  hline (cr, &p3, r->ceiling_dbtp, 0.8, 0.1, 0.1);
  curve (cr, &p3, r->true_peak_after, 0.1, 0.3, 0.8);

  cairo_destroy (cr);
  st = cairo_surface_write_to_png (surf, path);
  cairo_surface_destroy (surf);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s",
        cairo_status_to_string (st));
    return FALSE;
  }
  return TRUE;
}

#else

gboolean
gm_report_write_png (const char *path, const GmReport * r, GError ** err)
{
  (void) path;
  (void) r;
  g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
      "built without cairo (install libcairo2-dev and rebuild)");
  return FALSE;
}

#endif

void
gm_report_job_png (GmJob * job)
{
  /* No loudness target line for a silent input: it got no gain. */
  GmReport rep = {
    job->input, isfinite (job->target_lufs)
        && isfinite (job->before.integrated_lufs) ? job->target_lufs : NAN,
    job->ceiling_dbtp, &job->st_before, &job->st_after, &job->gr,
    &job->tp_after
  };
  GError *err = NULL;

  if (!gm_report_write_png (job->report_path, &rep, &err)) {
    gm_job_note (job, GM_STATUS_WARNING, "cannot write the report %s: %s",
        job->report_path, err->message);
    g_clear_error (&err);
  }
}

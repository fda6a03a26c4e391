/* mastering: the plugin entry. Every element of the pack registers here. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstmsteq.h"
#include "gstmstimager.h"
#include "gstmstmodulation.h"
#include "gstmstlimiter.h"
#include "gstmstloudmeter.h"
#include "gstmstmaster.h"
#include "gstmstloudnorm.h"
#include "gstmstgate.h"
#include "gstmstdeesser.h"
#include "gstmstcompressor.h"
#include "gstmstmbcomp.h"
#include "gstmstdither.h"
#include "gstmstpan.h"
#include "gstmstdehum.h"
#include "gstmstdeclick.h"
#include "gstmstdeclip.h"
#include "gstmstdenoise.h"
#include "gstmstreverb.h"
#include "gstmstdelay.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (eq, plugin);
  ret |= GST_ELEMENT_REGISTER (imager, plugin);
  ret |= GST_ELEMENT_REGISTER (modulation, plugin);
  ret |= GST_ELEMENT_REGISTER (limiter, plugin);
  ret |= GST_ELEMENT_REGISTER (loudmeter, plugin);
  ret |= GST_ELEMENT_REGISTER (master, plugin);
  ret |= GST_ELEMENT_REGISTER (loudnorm, plugin);
  ret |= GST_ELEMENT_REGISTER (gate, plugin);
  ret |= GST_ELEMENT_REGISTER (deesser, plugin);
  ret |= GST_ELEMENT_REGISTER (compressor, plugin);
  ret |= GST_ELEMENT_REGISTER (mbcomp, plugin);
  ret |= GST_ELEMENT_REGISTER (dither, plugin);
  ret |= GST_ELEMENT_REGISTER (pan, plugin);
  ret |= GST_ELEMENT_REGISTER (dehum, plugin);
  ret |= GST_ELEMENT_REGISTER (declick, plugin);
  ret |= GST_ELEMENT_REGISTER (declip, plugin);
  ret |= GST_ELEMENT_REGISTER (denoise, plugin);
  ret |= GST_ELEMENT_REGISTER (reverb, plugin);
  ret |= GST_ELEMENT_REGISTER (delay, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mastering,
    "Mixing and mastering studio elements: equalizer, dynamics, loudness, "
    "stereo imaging, restoration, pan, delay, reverb, modulation, mix bus",
    plugin_init, PACKAGE_VERSION, "LGPL", PACKAGE_NAME, PACKAGE_ORIGIN)

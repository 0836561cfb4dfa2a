/**
 * The vision side of LLaVA: CLIP and SigLIP vision towers and the multi-modal projector.
 */
@NullMarked
package dev.vlcache.core.vision;

import org.jspecify.annotations.NullMarked;

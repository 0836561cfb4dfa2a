/**
 * Image decoding and preprocessing with the semantics of Hugging Face's CLIP and SigLIP image processors.
 */
@NullMarked
package dev.vlcache.core.image;

import org.jspecify.annotations.NullMarked;

/**
 * Tensor building blocks (linear, norms, activations) shared by the vision tower and the decoder.
 */
@NullMarked
package dev.vlcache.core.nn;

import org.jspecify.annotations.NullMarked;

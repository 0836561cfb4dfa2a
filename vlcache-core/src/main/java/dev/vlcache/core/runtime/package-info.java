/**
 * Device and compute-dtype selection for DJL's PyTorch engine.
 */
@NullMarked
package dev.vlcache.core.runtime;

import org.jspecify.annotations.NullMarked;

/**
 * Device and compute-dtype selection for DJL's PyTorch engine, and the libtorch kernels DJL has no binding for.
 */
@NullMarked
package dev.vlcache.core.runtime;

import org.jspecify.annotations.NullMarked;

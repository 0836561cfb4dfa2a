/**
 * What the project's tests, benchmarks and demo trainer share and an application never loads: writing
 * safetensors checkpoints, and parsing the tools' {@code --name value} command lines.
 */
@NullMarked
package dev.vlcache.testsupport;

import org.jspecify.annotations.NullMarked;

package org.mesascope.core.reference;
import org.junit.jupiter.api.Test;
import java.nio.file.Path;
class ScratchDumpTest {
  @Test void dump() throws Exception {
    for (var v : RandomCheckpoints.all()) RandomCheckpoints.write(Path.of("/tmp/refsamples").resolve(v.name()), v, 7);
  }
}

package dev.jvisor.io.disk.qcow2;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Least-recently-used cache of L2 tables by L1 index. Not thread-safe (used under the image's
 * metadata lock). Eviction never writes: the image writes dirty tables back in order before it inserts
 * into a full cache whose eldest table is dirty.
 */
final class L2Cache {
    private final int capacity;
    private final LinkedHashMap<Integer, L2Table> tables;

    L2Cache(int capacity) {
        this.capacity = capacity;
        this.tables = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, L2Table> eldest) {
                return size() > L2Cache.this.capacity;
            }
        };
    }

    L2Table get(int l1Index) {
        return tables.get(l1Index);
    }

    void put(int l1Index, L2Table table) {
        tables.put(l1Index, table);
    }

    boolean isFull() {
        return tables.size() >= capacity;
    }

    /** Whether the table the next insertion would evict has unwritten changes. */
    boolean eldestDirty() {
        for (L2Table t : tables.values()) {
            return t.dirty;
        }
        return false;
    }

    Collection<L2Table> tables() {
        return tables.values();
    }
}

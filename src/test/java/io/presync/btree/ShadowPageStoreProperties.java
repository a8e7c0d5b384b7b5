package io.presync.btree;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tree in a {@link ShadowPageStore} committed the way the pool does it (flush, record the root, keep a
 * snapshot of the commit, close the one before): after every commit, a tree reopened from the
 * medium's durable pages equals the model as of that commit, and no page a durable commit uses was
 * ever rewritten after it (the medium refuses such a write).
 */
class ShadowPageStoreProperties
{
    /** Pages on a "disk": written pages, locations handed out, and the pages the durable root uses. */
    static final class Disk implements ShadowPageStore.Medium
    {
        final Map<Long, byte[]> pages = new HashMap<>();
        final ArrayDeque<Long> freeLocations = new ArrayDeque<>();
        final Set<Long> protectedPages = new HashSet<>();
        long next = 1;

        @Override
        public long allocatePage()
        {
            return freeLocations.isEmpty() ? next++ : freeLocations.pop();
        }

        @Override
        public void freePage(final long pageId)
        {
            freeLocations.push(pageId);
        }

        @Override
        public void readPage(final long pageId, final MemorySegment page)
        {
            MemorySegment.copy(pages.get(pageId), 0, page, ValueLayout.JAVA_BYTE, 0, PageStore.PAGE_BYTES);
        }

        @Override
        public void writePage(final long pageId, final MemorySegment page)
        {
            assertFalse(protectedPages.contains(pageId), "page " + pageId + " of a durable commit was rewritten");
            pages.put(pageId, page.toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public String describe(final long pageId)
        {
            return "disk page " + pageId;
        }
    }

    record Op(int kind, long key)
    {
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        return Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.longs().between(0, 3000))
            .as(Op::new).list().ofMinSize(1).ofMaxSize(1500);
    }

    @Property(tries = 40)
    void committedTreesReopenFromTheMediumAndAreNeverOverwritten(@ForAll("ops") final List<Op> ops) throws Exception
    {
        final Disk disk = new Disk();
        final TreeMap<Long, Long> model = new TreeMap<>();
        try (ShadowPageStore store = new ShadowPageStore(disk))
        {
            final BTree tree = BTree.create(store, 1);
            Snapshot committed = null;
            Snapshot previous = null;
            for (final Op op : ops)
            {
                if (op.kind() <= 5)
                {
                    tree.put(op.key(), op.key() * 7);
                    model.put(op.key(), op.key() * 7);
                }
                else if (op.kind() <= 8)
                {
                    assertEquals(model.remove(op.key()) != null, tree.remove(op.key()));
                }
                else
                {
                    store.flush();
                    final long root = tree.rootPageId();
                    // The commit is durable: its pages may not be written again while it or the next is the fallback.
                    final Snapshot now = tree.snapshot();
                    if (previous != null)
                    {
                        previous.close();
                    }
                    previous = committed;
                    committed = now;
                    disk.protectedPages.clear();
                    protect(disk, store, root);
                    if (previous != null)
                    {
                        protect(disk, store, previous.rootPageId());
                    }
                    assertEquals(0, store.dirtyPages());
                    try (ShadowPageStore reopened = new ShadowPageStore(disk))
                    {
                        final Set<Long> seen = new HashSet<>();
                        reopened.loadTree(root, seen::add);
                        final BTree back = BTree.open(reopened, root, 1);
                        assertEquals(model.size(), back.size());
                        final Cursor c = back.cursor(Long.MIN_VALUE + 1);
                        for (final Map.Entry<Long, Long> e : model.entrySet())
                        {
                            assertTrue(c.next());
                            assertEquals(e.getKey(), c.key());
                            assertEquals(e.getValue(), c.value(0));
                        }
                        assertFalse(c.next());
                        assertEquals(back.pageCount(), seen.size());
                    }
                }
            }
        }
    }

    private static void protect(final Disk disk, final ShadowPageStore store, final long root)
    {
        disk.protectedPages.add(root);
        final long page = store.readAddress(root);
        if (PageDescriptor.level(page) > 0)
        {
            for (int i = 0; i <= PageDescriptor.count(page); i++)
            {
                protect(disk, store, PageDescriptor.child(page, i));
            }
        }
    }
}

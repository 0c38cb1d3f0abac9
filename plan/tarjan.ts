/**
 * Strongly connected components (Tarjan's algorithm), used to order
 * services and to find before/after loops.
 *
 * @module
 */

/**
 * Returns the strongly connected components of a graph given as a map from
 * each node to its successors. Components come out successors first (a
 * node's successors appear in earlier components unless they share a
 * loop). Start nodes are visited in sorted order and the names inside each
 * component are sorted, so the result is deterministic.
 */
export function tarjanSort(successors: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowlink: number[] = [];
  const onStack: boolean[] = [];
  const stack: string[] = [];
  const output: string[][] = [];

  const connect = (id: string): number => {
    const myIndex = lowlink.length;
    index.set(id, myIndex);
    lowlink.push(myIndex);
    onStack.push(true);
    stack.push(id);
    for (const succ of successors.get(id) ?? []) {
      const seen = index.get(succ);
      if (seen === undefined) {
        const low = connect(succ);
        if (low < lowlink[myIndex]) lowlink[myIndex] = low;
      } else if (onStack[seen] && seen < lowlink[myIndex]) {
        lowlink[myIndex] = seen;
      }
    }
    if (lowlink[myIndex] === myIndex) {
      const component: string[] = [];
      for (;;) {
        const top = stack.pop()!;
        onStack[index.get(top)!] = false;
        component.push(top);
        if (top === id) break;
      }
      output.push(component);
    }
    return lowlink[myIndex];
  };

  for (const id of [...successors.keys()].sort()) {
    if (!index.has(id)) connect(id);
  }
  for (const component of output) {
    if (component.length > 1) component.sort();
  }
  return output;
}

import { useEffect, useRef, type MutableRefObject } from 'react';

/**
 * Whether the component is still shown: an answer that comes after the operator left the page
 * must not act on it (navigate, show a message) and so take them from where they went.
 */
export function useStillShown(): MutableRefObject<boolean> {
  const shown = useRef(true);
  useEffect(() => {
    shown.current = true;
    return () => {
      shown.current = false;
    };
  }, []);
  return shown;
}

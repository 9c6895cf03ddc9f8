import type { ComponentType } from 'react';
import type { PageParams } from '../../app/pages';
import { useT, type MessageKey } from '../../i18n';
import { Page } from '../../ui/Page';

/**
 * A page whose navigation entry exists before the page does: it says what will be there and
 * which issue brings it. Replace the entry in src/app/pages.ts with the real page.
 */
export function placeholder(title: MessageKey, description: MessageKey): ComponentType<PageParams> {
  function PlaceholderPage() {
    const t = useT();
    return (
      <Page title={t(title)}>
        <div className="placeholder" data-testid="placeholder">
          <p>{t(description)}</p>
          <p>{t('placeholder.comingWith', { issue: '#22' })}</p>
        </div>
      </Page>
    );
  }
  PlaceholderPage.displayName = `Placeholder(${title})`;
  return PlaceholderPage;
}

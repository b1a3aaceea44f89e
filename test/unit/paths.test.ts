import { expect } from 'chai';
import { pathsUnder } from '../../lib/state/paths.js';

const HEX = '7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa';

describe('paths', () => {
  it('names an image directory by the hex of its ID, with or without sha256:', () => {
    const paths = pathsUnder('/l', '/r');
    for (const id of [`sha256:${HEX}`, HEX]) {
      expect(paths.image(id)).to.equal(`/l/images/${HEX}`);
      expect(paths.imageRootfs(id)).to.equal(`/l/images/${HEX}/rootfs`);
      expect(paths.imageMeta(id)).to.equal(`/l/images/${HEX}/image.json`);
    }
  });
});
